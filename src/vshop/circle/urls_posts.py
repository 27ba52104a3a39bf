"""Circle pages: posts."""

from django.urls import path  # noqa: F401

app_name = "circle_posts"

urlpatterns: list = []
