"""Circle API: posts."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    pass
