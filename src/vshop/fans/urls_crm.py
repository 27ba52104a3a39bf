"""The shop owner's fan CRM pages, under ``/me/shop/fans/``."""

from django.urls import path

from vshop.fans import crm_views as views

app_name = "fans_crm"

urlpatterns = [
    path("me/shop/fans/", views.fan_list, name="list"),
    path("me/shop/fans/export.csv", views.fan_export, name="export"),
    path("me/shop/fans/bulk-tag/", views.fans_bulk_tag, name="bulk_tag"),
    path("me/shop/fans/import/", views.fan_import, name="import"),
    path("me/shop/fans/import/template.csv", views.import_template, name="import_template"),
    path("me/shop/fans/<int:fan_id>/", views.fan_detail, name="detail"),
    path("me/shop/fans/<int:fan_id>/notes/", views.note_add, name="note_add"),
    path(
        "me/shop/fans/<int:fan_id>/notes/<int:note_id>/delete/",
        views.note_delete,
        name="note_delete",
    ),
    path("me/shop/fans/<int:fan_id>/tags/", views.tag_add, name="tag_add"),
    path(
        "me/shop/fans/<int:fan_id>/tags/<int:tag_id>/remove/",
        views.tag_remove,
        name="tag_remove",
    ),
]
