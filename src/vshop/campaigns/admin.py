"""The operator's console: platform caps, campaigns (read only)."""
