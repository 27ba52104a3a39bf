"""Circle pages: social."""

from django.urls import path  # noqa: F401

app_name = "circle_social"

urlpatterns: list = []
