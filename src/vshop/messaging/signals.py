"""Signals other apps listen to: ``message_read(message=InboxMessage)`` is sent once, when she
first reads a message (campaigns count it as an open)."""

from django.dispatch import Signal

message_read = Signal()
