"""The supplier area under ``/supplier/``: apply, then list products, price them and keep stock."""

from django.urls import path

from vshop.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:product_id>/", views.product_edit, name="product_edit"),
    path("products/<int:product_id>/images/", views.image_add, name="image_add"),
    path("products/<int:product_id>/publish/", views.product_publish, name="product_publish"),
    path("products/<int:product_id>/unpublish/", views.product_unpublish, name="product_unpublish"),
    path("images/<int:image_id>/remove/", views.image_remove, name="image_remove"),
    path("skus/<int:sku_id>/restock/", views.sku_restock, name="sku_restock"),
]
