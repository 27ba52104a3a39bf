"""The owner's segment, tag and RFM pages, next to her other pages under ``/me/shop/``."""

from django.urls import path

from vshop.fans import segment_views as views

app_name = "fans_segments"

urlpatterns = [
    path("me/shop/segments/", views.segment_list, name="segments"),
    path("me/shop/segments/builder/", views.builder, name="builder"),
    path("me/shop/segments/count/", views.count, name="count"),
    path("me/shop/segments/<int:segment_id>/", views.segment_edit, name="segment"),
    path("me/shop/segments/<int:segment_id>/delete/", views.segment_delete, name="segment_delete"),
    path("me/shop/tags/", views.tag_list, name="tags"),
    path("me/shop/tags/<int:tag_id>/", views.tag_edit, name="tag"),
    path("me/shop/tags/<int:tag_id>/delete/", views.tag_delete, name="tag_delete"),
    path("me/shop/fans/insights/", views.insights, name="insights"),
]
