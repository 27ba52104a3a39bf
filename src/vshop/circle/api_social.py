"""Circle API: social."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    pass
