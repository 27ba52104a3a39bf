"""Fan actions on pages: follow and unfollow a shop."""

from django.urls import path

from vshop.fans import views

app_name = "fans"

urlpatterns = [
    path("s/<slug:slug>/follow/", views.follow, name="follow"),
    path("s/<slug:slug>/unfollow/", views.unfollow, name="unfollow"),
]
