"""The operator's console for the circle."""
