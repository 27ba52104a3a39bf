"""The owner's circle pages: her posts, composing and editing one, under /me/shop/posts/."""

from django.urls import path

from vshop.circle import posts_views as views

app_name = "circle_posts"

urlpatterns = [
    path("me/shop/posts/", views.post_list, name="posts"),
    path("me/shop/posts/new/", views.post_new, name="new"),
    path("me/shop/posts/<int:post_id>/edit/", views.post_edit, name="edit"),
    path("me/shop/posts/<int:post_id>/delete/", views.post_delete, name="delete"),
    path("me/shop/posts/<int:post_id>/pin/", views.post_pin, name="pin"),
    path("me/shop/posts/<int:post_id>/unpin/", views.post_unpin, name="unpin"),
]
