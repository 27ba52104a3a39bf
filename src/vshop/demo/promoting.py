"""The demo's promoters: programmes, promoters (one recruited by another), their share links and
the visits that bring the demo's buyers, so that the demo's orders pay commission in every stage
of its life (pending, frozen, available) and the traffic report has something to show.

Made through the services, as people would: the owner sets her programme, fans join, share,
and their friends open the links (a touch per visit) before they buy.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from vshop.accounts.models import User
from vshop.analytics.services import visit_record
from vshop.distribution import services as distribution
from vshop.distribution.models import Channel, Promoter, ShareLink
from vshop.distribution.sharing import share_link_for, touch_record
from vshop.shops.models import Shop

# Lily pays 15% of her margin to the promoter who brought the buyer and 5% to the one who
# recruited her; AJ takes promoters by application; the others keep the defaults (open, 10%).
PROGRAMMES: dict[str, dict[str, object]] = {
    "lily-mama": {"levels": 2, "level1_rate": 1500, "level2_rate": 500},
    "aj-snacks": {"join_policy": "application", "level1_rate": 1200},
}


def _visitor(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _visit(rng: random.Random, link: ShareLink, user: User | None, *, days_ago: int = 0) -> None:
    when = timezone.now() - timedelta(days=days_ago, minutes=rng.randint(0, 600))
    visitor = _visitor(rng)
    touch_record(link=link, visitor_id=visitor, user=user, client_ip="127.0.0.1", now=when)
    visit_record(
        shop_id=link.shop_id,
        shop_owner_id=link.shop.owner_id,
        visitor_id=visitor,
        user_id=user.pk if user else None,
        channel=link.channel,
        sharer_id=link.sharer_id,
        now=when,
    )


def _direct_visits(rng: random.Random, shop: Shop, fans: list[User]) -> None:
    """Two weeks of people who came straight to the shop (a bookmark, a search)."""
    for days_ago in range(14):
        for _ in range(rng.randint(2, 9)):
            fan = rng.choice(fans) if rng.random() < 0.4 else None
            visit_record(
                shop_id=shop.pk,
                shop_owner_id=shop.owner_id,
                visitor_id=_visitor(rng),
                user_id=fan.pk if fan else None,
                now=timezone.now() - timedelta(days=days_ago, minutes=rng.randint(0, 900)),
            )


def load_promoters(
    rng: random.Random, *, shops_by_slug: dict[str, Shop], fans: list[User]
) -> list[Promoter]:
    """Programmes, promoters and share visits; the demo fan (``fans[0]``) and the other demo
    buyers arrive at Lily's shop through a promoter's link."""
    for slug, terms in PROGRAMMES.items():
        shop = shops_by_slug[slug]
        distribution.programme_update(owner=shop.owner, shop=shop, data=terms)
    lily = shops_by_slug["lily-mama"]
    aj = shops_by_slug["aj-snacks"]

    # Fan 1 promotes Lily's shop; she recruits fan 2 with her link; fan 3 joins on her own.
    leader = distribution.promoter_join(
        user=fans[1], shop=lily, message="我家两个娃都在用莉莉推荐的东西。"
    )
    invite = share_link_for(sharer=fans[1], shop=lily, listing=None, channel=Channel.WECHAT)
    recruit = distribution.promoter_join(
        user=fans[2], shop=lily, message="宝妈群里很多人问。", recruiter_code=invite.code
    )
    distribution.promoter_join(user=fans[3], shop=lily)
    # At AJ's: one approved, one waiting for her answer.
    distribution.promoter_join(user=fans[4], shop=aj, message="零食测评博主 Snack reviewer.")
    approved = Promoter.objects.get(shop=aj, user=fans[4])
    distribution.promoter_approve(owner=aj.owner, shop=aj, promoter_id=approved.pk)
    distribution.promoter_join(user=fans[5], shop=aj, message="想试试推广。")

    # The recruit shares in her WeChat groups and Moments; the demo fan comes through her link,
    # so her orders pay the recruit (level 1) and the leader (level 2).
    group = share_link_for(sharer=fans[2], shop=lily, listing=None, channel=Channel.WECHAT)
    moments = share_link_for(sharer=fans[2], shop=lily, listing=None, channel=Channel.MOMENTS)
    poster = share_link_for(sharer=fans[1], shop=lily, listing=None, channel=Channel.POSTER)
    _visit(rng, moments, fans[0])
    _visit(rng, group, fans[0])
    # Other fans look around through the links too (guests: no account yet), over two weeks.
    for link, count in ((group, 9), (moments, 14), (poster, 6), (invite, 4)):
        for _ in range(count):
            _visit(rng, link, None, days_ago=rng.randint(0, 13))
    for shop in shops_by_slug.values():
        _direct_visits(rng, shop, fans)
    return [leader, recruit, approved]
