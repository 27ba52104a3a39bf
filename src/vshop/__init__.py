"""VShop: a social-commerce platform for micro-shops."""

__version__ = "0.1.0"
