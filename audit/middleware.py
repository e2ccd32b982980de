from audit.context import request_ip


class RequestContextMiddleware:
    """Remember the client IP for audit rows written while this request is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
