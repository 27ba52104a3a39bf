from django.http import Http404, HttpRequest, HttpResponse


def sandbox_page(request: HttpRequest, number: str) -> HttpResponse:
    raise Http404
