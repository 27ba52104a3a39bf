"""Links inside campaign messages: the click redirect, the email's open pixel, one-click
unsubscribe. No login: the signed token is the authority."""

from django.urls import path

from vshop.campaigns import tracking_views as views

app_name = "campaigns_tracking"

urlpatterns = [
    path("c/<str:token>/", views.click, name="click"),
    path("c/open/<str:token>.gif", views.open_pixel, name="open"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
