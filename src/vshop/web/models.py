"""Records the web layer itself keeps: answers to requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key``, for the client's retries.

    ``status`` is 0 while the first request is still running. Keys are per client (account, or
    the guest's session), so two people can never see each other's answers.
    """

    client = models.CharField(max_length=80)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # method, path and body, hashed
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="one_answer_per_key")]

    def __str__(self) -> str:
        return f"{self.client}:{self.key}"
