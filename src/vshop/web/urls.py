from django.urls import path

from vshop.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("hello/", views.hello, name="hello"),
]
