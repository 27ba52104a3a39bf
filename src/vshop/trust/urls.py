"""Pages: placeholder until the review pages land."""

from django.urls import path  # noqa: F401

app_name = "trust"

urlpatterns: list[object] = []
