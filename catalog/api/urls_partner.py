"""/api/v1/partner/: a partner's own listings, and operator review of every partner's listings."""

from rest_framework.routers import SimpleRouter

from catalog.api.partner_views import ListingReviewViewSet, PartnerListingViewSet

router = SimpleRouter()
router.register("listings", PartnerListingViewSet, basename="partner-listing")
router.register("review", ListingReviewViewSet, basename="partner-review")

urlpatterns = router.urls
