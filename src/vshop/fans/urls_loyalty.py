"""Pages: placeholder until the loyalty pages land."""

from django.urls import path  # noqa: F401

app_name = "fans_loyalty"

urlpatterns: list[object] = []
