"""Pages: placeholder until the mine pages land."""

from django.urls import path  # noqa: F401

app_name = "fans_mine"

urlpatterns: list[object] = []
