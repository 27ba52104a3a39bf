"""Pages: placeholder until the segments pages land."""

from django.urls import path  # noqa: F401

app_name = "fans_segments"

urlpatterns: list[object] = []
