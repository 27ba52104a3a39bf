"""Money pages: balances, statement, withdrawals (/money/ and the supplier's /money/supplier/)."""

from django.urls import path

from vshop.payouts import views

app_name = "payouts"

urlpatterns = [
    path("money/", views.money, name="money"),
    path("money/statement.csv", views.statement_csv, name="statement_csv"),
    path("money/supplier/", views.supplier_money, name="supplier_money"),
    path(
        "money/supplier/statement.csv",
        views.supplier_statement_csv,
        name="supplier_statement_csv",
    ),
    path(
        "money/withdrawals/<str:number>/cancel/",
        views.withdrawal_cancel,
        name="withdrawal_cancel",
    ),
]
