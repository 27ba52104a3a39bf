from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


cart = cart_add = cart_line = checkout = checkout_pay = checkout_done = addresses = _todo
address_edit = order_list = order_detail = after_sales_new = _todo
