"""API: placeholder until the loyalty endpoints land."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
