"""The shop owner's pages under ``/me/shop/``: open a shop, fill it from the catalogue, run it."""

from django.urls import path

from vshop.shops import views

app_name = "shops"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("open/", views.shop_open, name="open"),
    path("open/slug-suggest/", views.slug_suggest, name="slug_suggest"),
    path("open/slug-check/", views.slug_check, name="slug_check"),
    path("settings/", views.shop_settings, name="settings"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:product_id>/add/", views.catalogue_add, name="catalogue_add"),
    path(
        "catalogue/<int:product_id>/customise/",
        views.catalogue_customise,
        name="catalogue_customise",
    ),
    path("catalogue/<int:product_id>/margins/", views.catalogue_margins, name="catalogue_margins"),
    path("own/new/", views.own_goods_new, name="own_goods_new"),
    path("listings/<int:listing_id>/", views.listing_edit, name="listing_edit"),
    path("listings/<int:listing_id>/margins/", views.listing_margins, name="listing_margins"),
    path("listings/<int:listing_id>/pin/", views.listing_pin, name="listing_pin"),
    path("listings/<int:listing_id>/move/", views.listing_move, name="listing_move"),
    path(
        "listings/<int:listing_id>/visibility/",
        views.listing_visibility,
        name="listing_visibility",
    ),
    path("listings/<int:listing_id>/remove/", views.listing_remove, name="listing_remove"),
]
