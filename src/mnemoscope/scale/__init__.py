"""Scale-out on Ray Data. Importing this package does not import ray."""
