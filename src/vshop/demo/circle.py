"""The demo's shopping circle: every demo shop posts twice (text and a card of one of its
listings), fans like and comment, owners reply, Lily pins her first post; the posts are fanned
out into the followers' timelines as the worker would."""

from __future__ import annotations

import random

from django.db import transaction

from vshop.accounts.models import User
from vshop.circle import fanout, posts, social
from vshop.fans.models import Follow
from vshop.shops.models import Listing, ListingStatus, Shop

POSTS = [
    ("今天到货的新品，老粉先看！<br>New in today: fans see it first.", "好看！想要 Love it!"),
    ("周末店休前最后一批，库存不多了。<br>Last batch before the weekend.", "还有货吗？Any left?"),
]
REPLY = "有的，已经给你留了一件 Yes, one is kept for you."


def load_circle(rng: random.Random, *, shops_by_slug: dict[str, Shop], fans: list[User]) -> None:
    created: list[int] = []
    with transaction.atomic():
        for shop in shops_by_slug.values():
            listings = list(
                Listing.objects.filter(shop=shop, status=ListingStatus.ACTIVE)
                .order_by("position", "pk")
                .values_list("pk", flat=True)[:4]
            )
            followers = set(Follow.objects.filter(shop=shop).values_list("fan_id", flat=True))
            audience = [f for f in fans if f.pk in followers]
            for index, (text, comment) in enumerate(POSTS):
                post = posts.post_create(
                    shop=shop,
                    actor=shop.owner,
                    text=text,
                    images=[],
                    listing_ids=listings[index : index + 1],
                )
                created.append(post.pk)
                for fan in rng.sample(audience, k=min(len(audience), rng.randint(2, 12))):
                    social.post_like(user=fan, post_id=post.pk)
                if audience:
                    said = social.comment_add(
                        user=rng.choice(audience), post_id=post.pk, text=comment
                    )
                    social.comment_reply(
                        owner=shop.owner, shop=shop, comment_id=said.pk, text=REPLY
                    )
            if shop.slug == "lily-mama":
                posts.post_pin(shop=shop, actor=shop.owner, post_id=created[-2])
    # As the worker's fan-out task would, once the posts are committed.
    transaction.on_commit(lambda: [fanout.post_fan_out(post_id=pk) for pk in created])
