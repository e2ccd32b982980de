"""Voucher endpoints, included by portal/api_urls.py under /api/v1/ (namespace "api")."""

from rest_framework.routers import SimpleRouter

from vouchers.api import views

router = SimpleRouter()
router.register("voucher-programs", views.OpenProgramViewSet, basename="voucher-program")
router.register("voucher-applications", views.CompanyApplicationViewSet, basename="voucher-application")
router.register("voucher-attachments", views.AttachmentViewSet, basename="voucher-attachment")
router.register("vouchers", views.CompanyVoucherViewSet, basename="voucher")
router.register("gov/programs", views.GovProgramViewSet, basename="gov-program")
router.register("gov/applications", views.GovApplicationViewSet, basename="gov-application")
router.register("gov/vouchers", views.GovVoucherViewSet, basename="gov-voucher")

urlpatterns = router.urls
