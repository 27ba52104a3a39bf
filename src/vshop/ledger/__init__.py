"""The double-entry book: accounts, balanced transactions and their append-only entries."""
