"""The sandbox gateway's payment page (the provider's side, served by VShop for the demo)."""

from django.urls import path

from vshop.payments import views

app_name = "payments"

urlpatterns = [
    path("sandbox/<str:number>/", views.sandbox_page, name="sandbox_page"),
]
