"""The jobs API, included into /api/v1/ (namespace "api") by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

from jobs.api.views import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
