"""Adapters to other libraries' training loops. Each module imports its library, and only
that module does: `mnemoscope.integrations.transformers` is the one place transformers'
Trainer API is named. Importing this package imports nothing heavy."""
