"""Platform pages: home, language switch, and the benchmark's yardstick."""

from django.urls import path

from vshop.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language, name="language"),
    path("hello/", views.hello, name="hello"),
]
