"""The sandbox gateway's payment page: the provider's side, served by VShop for the demo and
tests. Only the buyer paying can open it; "Pay" or "Fail payment" tells the sandbox, whose signed
notification then pays the checkout, and the buyer goes back to wait for it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vshop.errors import NotFound, ValidationFailed
from vshop.payments import selectors
from vshop.payments.gateways.sandbox import sandbox_pay
from vshop.payments.models import SandboxTransaction
from vshop.web.auth import acting_user
from vshop.web.errors import domain_errors_as_pages

OUTCOMES = {"pay": True, "fail": False}


@login_required
@domain_errors_as_pages
def sandbox_page(request: HttpRequest, number: str) -> HttpResponse:
    payment = selectors.payment_of_buyer(
        buyer=acting_user(request), number=number, gateway="sandbox"
    )
    # The sandbox provider's own record of it (the page is the provider's side).
    transaction = SandboxTransaction.objects.filter(payment_number=number).first()
    if transaction is None:
        raise NotFound()
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOMES:
            exc = ValidationFailed(_("Choose Pay or Fail payment."), field="outcome")
            context = {"payment": payment, "transaction": transaction, "error": exc}
            return render(request, "payments/sandbox.html", context, status=exc.status)
        sandbox_pay(payment_number=payment.number, succeed=OUTCOMES[outcome])
        return redirect("orders:checkout_done", payment.checkout.number)
    return render(
        request, "payments/sandbox.html", {"payment": payment, "transaction": transaction}
    )
