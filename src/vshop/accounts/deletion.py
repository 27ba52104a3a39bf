"""Deleting an account: her personal data is erased; her orders stay, anonymised, because the
shops, suppliers and the book need them (the account row stays as the anonymous buyer, so every
order, review and ledger account still points somewhere).

Refused while anything still depends on her as a person: a shop or a supplier she runs, an order
on its way, money in the book, a withdrawal being paid out.
"""

from __future__ import annotations

import contextlib

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import ApiToken, User
from vshop.errors import Conflict, NotFound, ValidationFailed

#: What her name becomes everywhere it is shown.
DELETED_NAME = "deleted user"


class WrongPassword(ValidationFailed):
    code = "wrong_password"
    default_message = _("The password is not right.")


class AccountStillNeeded(Conflict):
    code = "account_still_needed"


def deleted_email(user_id: int) -> str:
    """A placeholder login that is nobody's: an account must keep an email or a mobile (a
    database CHECK), and ``.invalid`` can never receive mail."""
    return f"deleted-{user_id}@deleted.invalid"


def _refusal(user: User) -> AccountStillNeeded | None:
    from vshop.catalog.models import Supplier
    from vshop.ledger.models import Account
    from vshop.orders.models import Order
    from vshop.orders.states import ORDER_FINAL
    from vshop.payouts.models import Withdrawal
    from vshop.payouts.states import WithdrawalStatus
    from vshop.shops.models import Shop

    if Shop.objects.filter(owner=user).exists():
        return AccountStillNeeded(
            _(
                "You run a shop. Ask the platform to close it and settle its accounts before "
                "deleting your account."
            ),
            reason="owns_shop",
        )
    if Supplier.objects.filter(owner=user).exists():
        return AccountStillNeeded(
            _(
                "You are a supplier. Ask the platform to close your supplier account before "
                "deleting your account."
            ),
            reason="supplier",
        )
    if Order.objects.filter(buyer=user).exclude(status__in=ORDER_FINAL).exists():
        return AccountStillNeeded(
            _(
                "You have orders that are not finished yet. Pay or cancel the unpaid ones and "
                "wait until the others are completed before deleting your account."
            ),
            reason="open_orders",
        )
    open_withdrawals = [WithdrawalStatus.REQUESTED, WithdrawalStatus.APPROVED]
    if Withdrawal.objects.filter(requester=user, status__in=open_withdrawals).exists():
        return AccountStillNeeded(
            _("A withdrawal of yours is being paid out. Wait until it is finished."),
            reason="open_withdrawal",
        )
    if Account.objects.filter(user=user).exclude(balance=0).exists():
        return AccountStillNeeded(
            _(
                "There is money in your account (commission or refunds, or a debt). Withdraw "
                "or settle it, and wait for frozen commission to be released, before deleting "
                "your account."
            ),
            reason="balance",
        )
    return None


def _delete_sessions(user: User) -> None:
    """Her logged-in sessions end (the database session store holds the user id encoded)."""
    key = str(user.pk)
    doomed = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == key
    ]
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()


def _circle_forget(user: User) -> None:
    """Her likes and comments go (the posts' counts with them), her hidden posts and her
    timeline; her reports stay for the moderators, tied to the anonymised account."""
    from vshop.circle import social, timelines
    from vshop.circle.models import Post, PostComment, PostHide, PostLike

    liked = list(PostLike.objects.filter(user=user).values_list("post_id", flat=True))
    PostLike.objects.filter(user=user).delete()
    if liked:
        Post.objects.filter(pk__in=liked, like_count__gt=0).update(like_count=F("like_count") - 1)
    for comment_id in PostComment.objects.filter(user=user, reply_to__isnull=True).values_list(
        "pk", flat=True
    ):
        # On a deleted post (NotFound) nobody sees its count: the rows just go below.
        with contextlib.suppress(NotFound):
            social.comment_delete_own(user=user, comment_id=comment_id)
    PostComment.objects.filter(user=user).delete()
    PostHide.objects.filter(user=user).delete()
    user_id = user.pk
    transaction.on_commit(lambda: timelines.timeline_forget(user_id=user_id), robust=True)


def account_delete(*, user: User, password: str) -> User:
    """Delete her account (she confirms with her password). Nothing changes when refused:
    a wrong password is 400, anything still depending on her 409 with what to do first."""
    from vshop.analytics.models import Visit
    from vshop.campaigns.models import DailyMessageCount, FanSendProfile
    from vshop.distribution.models import Device, Promoter, Touch
    from vshop.fans.models import (
        ActivityDay,
        ActivityEvent,
        ActivityHour,
        Follow,
        PrivacySettings,
        ShopFan,
    )
    from vshop.messaging.models import ChannelOptOut, InboxMessage, MessagePreferences
    from vshop.orders.models import Address, Cart, Order
    from vshop.payouts.models import Withdrawal
    from vshop.shops.models import Shop

    if not password or not user.check_password(password):
        raise WrongPassword(field="password")
    with transaction.atomic():
        # Her row locked first: two deletions (or a deletion and a login) run one at a time.
        user = User.objects.select_for_update().get(pk=user.pk)
        refusal = _refusal(user)
        if refusal is not None:
            raise refusal

        now = timezone.now()
        # Follows: each shop she followed loses one fan.
        followed = list(Follow.objects.filter(fan=user).values_list("shop_id", flat=True))
        Follow.objects.filter(fan=user).delete()
        if followed:
            Shop.objects.filter(pk__in=followed, fan_count__gt=0).update(
                fan_count=F("fan_count") - 1
            )
        ShopFan.objects.filter(user=user).delete()  # tags, notes, points entries by cascade
        PrivacySettings.objects.filter(user=user).delete()
        ActivityEvent.objects.filter(user_id=user.pk).delete()
        ActivityHour.objects.filter(user_id=user.pk).delete()
        ActivityDay.objects.filter(user_id=user.pk).delete()
        Touch.objects.filter(user=user).update(user=None)
        Visit.objects.filter(user=user).update(user=None)
        Visit.objects.filter(sharer=user).update(sharer=None)
        Device.objects.filter(user=user).delete()
        Promoter.objects.filter(user=user).update(message="")
        Address.objects.filter(user=user).delete()
        Cart.objects.filter(user=user).delete()
        InboxMessage.objects.filter(recipient=user).delete()
        # Her hours and preferences go; campaign recipient rows stay for the shops' reports,
        # tied to the anonymised account.
        FanSendProfile.objects.filter(user=user).delete()
        _circle_forget(user)
        MessagePreferences.objects.filter(user=user).delete()
        ChannelOptOut.objects.filter(user=user).delete()
        DailyMessageCount.objects.filter(user_id=user.pk).delete()
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        # Orders stay for the accounts, without the address that names her.
        Order.objects.filter(buyer=user).update(
            ship_name=DELETED_NAME, ship_mobile="", ship_detail="", note=""
        )
        Withdrawal.objects.filter(requester=user).update(payee="", payee_name="")

        user.email = deleted_email(user.pk)
        user.mobile = None
        user.display_name = DELETED_NAME
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        user.roles.all().delete()
        _delete_sessions(user)
    return user
