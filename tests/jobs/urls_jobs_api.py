"""The site's URLs with the jobs API mounted under /api/v1/, as portal/api_urls.py will have it
(`path("", include("jobs.api.urls"))`). Used by the jobs tests and to validate the OpenAPI schema."""

from django.urls import include, path

from portal import api_urls
from portal import urls as site

API_PATTERNS = [*api_urls.urlpatterns, path("", include("jobs.api.urls"))]

urlpatterns = [
    path("api/v1/", include((API_PATTERNS, api_urls.app_name))) if str(p.pattern) == "api/v1/" else p
    for p in site.urlpatterns
]
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
