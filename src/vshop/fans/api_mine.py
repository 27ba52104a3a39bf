"""API: placeholder until the mine endpoints land."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
