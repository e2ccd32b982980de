"""The jobs API, included into /api/v1/ (namespace "api") by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from jobs.api.views import JobViewSet, QuoteView, WebhookApiView

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

# Before the router, whose `jobs/<pk>/` would take these.
urlpatterns = [
    path("jobs/quote/", QuoteView.as_view(), name="job-quote"),
    path("jobs/webhook/", WebhookApiView.as_view(), name="job-webhook"),
    *router.urls,
]
