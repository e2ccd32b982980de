"""The portal's URLs plus `/bench/bare/?bytes=N`: N bytes of HTML and nothing else, served by the
same process, middleware and settings as the page it is compared with."""

from functools import lru_cache

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns

MAX_BYTES = 10_000_000


@lru_cache(maxsize=8)
def _body(size: int) -> bytes:
    return b"<!doctype html><title>bare</title>" + b"x" * max(size - 34, 0) if size >= 34 else b"x" * size


def bare(request: HttpRequest) -> HttpResponse:
    try:
        size = min(max(int(request.GET.get("bytes", "0")), 0), MAX_BYTES)
    except ValueError:
        size = 0
    return HttpResponse(_body(size), content_type="text/html; charset=utf-8")


@csrf_exempt
def bare_json(request: HttpRequest) -> JsonResponse:
    """A POST that reads a JSON body and answers 201, doing nothing else: the baseline for launches."""
    return JsonResponse({"bytes": len(request.body)}, status=201)


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/bare-json/", bare_json, name="bench-bare-json"),
    *portal_urlpatterns,
]
