"""Buying pages: cart, checkout, the buyer's orders, the shop owner's orders, fulfilment."""

from django.urls import path

from vshop.orders import seller_views, views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line, name="cart_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/<str:number>/pay/", views.checkout_pay, name="checkout_pay"),
    path("checkout/<str:number>/done/", views.checkout_done, name="checkout_done"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/<int:address_id>/", views.address_edit, name="address_edit"),
    path("orders/", views.order_list, name="list"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/after-sales/", views.after_sales_new, name="after_sales_new"),
    path("shop-orders/", seller_views.shop_orders, name="shop_orders"),
    path("shop-orders/<str:number>/", seller_views.shop_order, name="shop_order"),
    path("fulfilment/", seller_views.fulfil_list, name="fulfil_list"),
    path("fulfilment/packing-list.csv", seller_views.packing_list, name="packing_list"),
    path("fulfilment/delivery/", seller_views.delivery_rules, name="delivery_rules"),
    path("fulfilment/<str:number>/", seller_views.fulfil_detail, name="fulfil_detail"),
]
