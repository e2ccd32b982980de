"""The site's URLs plus the payments routes, mounted where portal/urls.py and api_urls.py will."""

from django.urls import include, path

from portal import api_urls
from portal import urls as portal_urls

handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

api_patterns = [path("payments/", include("payments.api.urls")), *api_urls.urlpatterns]

urlpatterns = [
    path("payments/", include("payments.urls")),
    path("api/v1/", include((api_patterns, "api"))),
    *[p for p in portal_urls.urlpatterns if str(p.pattern) != "api/v1/"],
]
