"""Refuse request bodies larger than the site accepts before reading a byte of them.

A 2 GB upload is answered at once with 413 and a message in the user's language (a page, or the
API's error shape), instead of being streamed to disk first. Behind a web server, set its limit to
the same value (nginx `client_max_body_size`) so it refuses even earlier.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return self.too_large(request)
        return self.get_response(request)

    @staticmethod
    def too_large(request):
        limit_mb = settings.MAX_REQUEST_BYTES // 2**20
        message = _("The upload is too large: at most %(mb)d MB can be sent at once.") % {"mb": limit_mb}
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": {"code": "too_large", "message": message, "fields": {}}}, status=413)
        else:
            response = render(request, "413.html", {"message": message}, status=413)
        return response
