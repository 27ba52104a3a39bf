from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


shop_orders = shop_order = fulfil_list = packing_list = delivery_rules = fulfil_detail = _todo
