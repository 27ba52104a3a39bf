"""The owner's campaign pages, under /me/shop/."""

from django.urls import path

from vshop.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("me/shop/campaigns/", views.campaign_list, name="list"),
    path("me/shop/campaigns/new/", views.campaign_new, name="new"),
    path("me/shop/campaigns/preview/", views.campaign_preview, name="preview"),
    path("me/shop/campaigns/<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("me/shop/campaigns/<int:campaign_id>/cancel/", views.campaign_cancel, name="cancel"),
    path("me/shop/messaging/", views.messaging, name="messaging"),
    path("me/shop/messaging/rotate-secret/", views.messaging_rotate, name="messaging_rotate"),
]
