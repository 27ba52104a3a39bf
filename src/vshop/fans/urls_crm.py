"""Pages: placeholder until the crm pages land."""

from django.urls import path  # noqa: F401

app_name = "fans_crm"

urlpatterns: list[object] = []
