"""The inbox page and its actions."""

from django.urls import path

from vshop.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("<int:message_id>/open/", views.open_message, name="open"),
]
