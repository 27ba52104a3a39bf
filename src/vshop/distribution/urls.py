"""Promoter pages: the owner's (under /me/shop/promoters/), the promoter's (/me/promoting/) and
a shop's join page (/promote/<slug>/). Included at the site root."""

from django.urls import path

from vshop.distribution import views

app_name = "distribution"

urlpatterns = [
    path("me/shop/promoters/", views.owner_promoters, name="owner_promoters"),
    path(
        "me/shop/promoters/<int:promoter_id>/approve/",
        views.owner_decide,
        {"action": "approve"},
        name="owner_approve",
    ),
    path(
        "me/shop/promoters/<int:promoter_id>/reject/",
        views.owner_decide,
        {"action": "reject"},
        name="owner_reject",
    ),
    path(
        "me/shop/promoters/<int:promoter_id>/remove/",
        views.owner_decide,
        {"action": "remove"},
        name="owner_remove",
    ),
    path("me/shop/promoters/settings/", views.owner_settings, name="owner_settings"),
    path(
        "me/shop/promoters/settings/example/",
        views.owner_settings_example,
        name="owner_settings_example",
    ),
    path("me/shop/promoters/rates/", views.owner_rates, name="owner_rates"),
    path("me/shop/promoters/rates/<int:listing_id>/", views.owner_rate_set, name="owner_rate_set"),
    path("me/promoting/", views.promoting, name="promoting"),
    path("promote/<slug:slug>/", views.join, name="join"),
]
