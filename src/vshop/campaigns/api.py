"""Campaigns API for the shop owner. (Owner: pages helper.)"""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    pass
