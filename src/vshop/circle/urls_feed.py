"""Circle pages: feed."""

from django.urls import path  # noqa: F401

app_name = "circle_feed"

urlpatterns: list = []
