"""Circle API: feed."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    pass
