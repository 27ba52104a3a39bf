"""Fan-side shop pages under ``/s/<slug>/``."""

from django.urls import path

from vshop.shops import storefront_views as views

app_name = "storefront"

urlpatterns = [
    path("", views.shop_home, name="home"),
    path("about/", views.shop_about, name="about"),
    path("search/", views.shop_search, name="search"),
    path("l/<int:listing_id>/", views.listing_detail, name="listing"),
]
