"""The circle's API: the owner's posts, the fan's circle, likes, comments, shares, reports and
moderation. Each module mounts its own routers."""

from ninja import NinjaAPI


def mount(api: NinjaAPI) -> None:
    from vshop.circle import api_feed, api_posts, api_social

    api_posts.mount(api)
    api_feed.mount(api)
    api_social.mount(api)
