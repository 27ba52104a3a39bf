"""Share links at the site root: ``/r/<code>/`` (what people post), the share pages and the
posters under ``/share/``."""

from django.urls import path

from vshop.distribution import share_views as views

app_name = "sharing"

urlpatterns = [
    path("r/<str:code>/", views.follow, name="follow"),
    path("share/<str:code>/poster.png", views.poster, name="poster"),
    path("share/<slug:slug>/", views.share_page, name="shop"),
    path("share/<slug:slug>/<int:listing_id>/", views.share_page, name="listing"),
]
