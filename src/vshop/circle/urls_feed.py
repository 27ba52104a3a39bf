"""Circle pages: feed."""

from django.urls import path

from vshop.circle import feed_views as views

app_name = "circle_feed"

urlpatterns = [
    path("circle/", views.circle, name="circle"),
]
