"""API rate limits: one budget per API key (or per person using the browser session), one per
anonymous IP. Over the limit DRF raises `Throttled`, which `portal.api.exception_handler` answers
with 429, `Retry-After` and the API's error shape.

The rates are read when a request is checked, not when this module is imported (DRF's default),
so `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` from the environment or a test override applies.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ApiClientRateThrottle(_SettingsRateThrottle):
    """Per API key; a person signed in through the browser has their own budget."""

    scope = "api_client"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        key = request.auth
        if getattr(key, "pk", None) is not None:
            ident = f"tenant-{key.tenant_id}-key-{key.pk}"
        else:
            ident = f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonRateThrottle(_SettingsRateThrottle):
    """Per client IP (REMOTE_ADDR, or X-Forwarded-For behind `NUM_PROXIES` trusted proxies)."""

    scope = "api_anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
