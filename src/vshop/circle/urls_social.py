"""Circle pages: the post page, and the forms on it (like, comment, share, hide, report; the
owner's reply, hide and delete of comments)."""

from django.urls import path

from vshop.circle import social_views as views

app_name = "circle_social"

P = "s/<slug:slug>/posts/<int:post_id>/"
C = P + "comments/<int:comment_id>/"

urlpatterns = [
    path(P, views.post_page, name="post"),
    path(P + "like/", views.like, name="like"),
    path(P + "comments/", views.comment_add, name="comment_add"),
    path(C + "reply/", views.comment_reply, name="comment_reply"),
    path(C + "hide/", views.comment_hide, name="comment_hide"),
    path(C + "delete/", views.comment_delete, name="comment_delete"),
    path(P + "share/", views.share, name="share"),
    path(P + "hide/", views.hide, name="hide"),
    path(P + "report/", views.report, name="report"),
]
