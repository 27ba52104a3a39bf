"""Signals from other apps: an inbox message of a campaign read for the first time is an open."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from vshop.messaging.signals import message_read


@receiver(message_read)
def inbox_message_read(sender: Any, message: Any, **kwargs: Any) -> None:
    if message.campaign_recipient_id:
        from vshop.campaigns.tracking_record import recipient_opened

        recipient_opened(recipient_id=message.campaign_recipient_id)
