"""The shop owner's traffic page, next to her other pages under ``/me/shop/``."""

from django.urls import path

from vshop.analytics import views

app_name = "analytics"

urlpatterns = [
    path("me/shop/traffic/", views.traffic, name="traffic"),
]
