"""Loyalty pages: the owner's points rules and member levels under ``/me/shop/``, and the fan's
check-in and membership in a shop (under the shop's ``s/<slug>/``)."""

from django.urls import path

from vshop.fans import loyalty_views as views

app_name = "fans_loyalty"

urlpatterns = [
    path("me/shop/loyalty/", views.settings_page, name="settings"),
    path("me/shop/loyalty/rules/", views.rules_save, name="rules_save"),
    path("me/shop/loyalty/levels/", views.levels_save, name="levels_save"),
    path("s/<slug:slug>/check-in/", views.check_in, name="check_in"),
    path("s/<slug:slug>/membership/", views.membership, name="membership"),
]
