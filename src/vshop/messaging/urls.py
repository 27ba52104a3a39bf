"""The inbox page and its actions, the header badge, her message preferences."""

from django.urls import path

from vshop.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("<int:message_id>/open/", views.open_message, name="open"),
    path("badge/", views.badge, name="badge"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path(
        "preferences/unsubscribes/<int:opt_out_id>/resubscribe/",
        views.resubscribe,
        name="resubscribe",
    ),
]
