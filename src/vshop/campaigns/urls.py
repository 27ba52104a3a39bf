"""The owner's campaign pages, under /me/shop/. (Owner: pages helper.)"""

from django.urls import path  # noqa: F401

app_name = "campaigns"

urlpatterns: list = []
