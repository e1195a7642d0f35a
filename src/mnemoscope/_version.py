"""The package version, in a module of its own so that the run store and every audit can
record it without importing the package face (`mnemoscope/__init__.py`)."""

__version__ = "0.1.0"
