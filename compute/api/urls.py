"""Quota and pool endpoints, included by portal/api_urls.py under /api/v1/ (namespace "api")."""

from rest_framework.routers import SimpleRouter

from compute.api import views

router = SimpleRouter()
router.register("quotas", views.QuotaViewSet, basename="compute-quota")
router.register("quota-requests", views.QuotaRequestViewSet, basename="quota-request")
router.register("operator/quota-requests", views.OperatorQuotaRequestViewSet, basename="operator-quota-request")
router.register("operator/quota-defaults", views.OperatorQuotaDefaultViewSet, basename="operator-quota-default")
router.register("operator/quota-overrides", views.OperatorQuotaOverrideViewSet, basename="operator-quota-override")
router.register("operator/pools", views.OperatorPoolViewSet, basename="operator-pool")

urlpatterns = router.urls
