"""The fan's own pages: the shops she follows and her privacy."""

from django.urls import path

from vshop.fans import mine_views as views

app_name = "fans_mine"

urlpatterns = [
    path("me/following/", views.following, name="following"),
    path("me/following/<slug:slug>/mute/", views.mute, name="mute"),
    path("me/following/<slug:slug>/unfollow/", views.unfollow, name="unfollow"),
    path("me/following/<slug:slug>/leave/", views.leave, name="leave"),
    path("me/privacy/", views.privacy_page, name="privacy"),
    path("me/privacy/data/", views.data, name="data"),
    path("me/privacy/delete/", views.delete_account, name="delete"),
]
