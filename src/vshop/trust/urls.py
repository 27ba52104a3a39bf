"""Review pages: the buyer's review form for one of her orders."""

from django.urls import path

from vshop.trust import views

app_name = "trust"

urlpatterns = [
    path("orders/<str:number>/review/", views.order_review, name="order_review"),
]
