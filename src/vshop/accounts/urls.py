"""Account pages: sign up, log in and out, password, the "me" page and personal API tokens."""

from django.urls import path

from vshop.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path("login/", views.log_in, name="login"),
    path("logout/", views.log_out, name="logout"),
    path("password/", views.password_change, name="password"),
    path("me/", views.me, name="me"),
    path("tokens/", views.api_tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.api_token_revoke, name="token_revoke"),
]
