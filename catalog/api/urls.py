from django.urls import include, path
from rest_framework.routers import SimpleRouter

from catalog.api import views

router = SimpleRouter()
router.register("offerings", views.OfferingViewSet, basename="catalog-offering")
router.register("chips", views.ChipTypeViewSet, basename="catalog-chip")
router.register("partners", views.PartnerViewSet, basename="catalog-partner")
router.register("favourites", views.FavouriteViewSet, basename="catalog-favourite")
router.register("compatibility", views.CompatibilityViewSet, basename="catalog-compatibility")

urlpatterns = [
    path("facets/", views.FacetsView.as_view(), name="catalog-facets"),
    path("compare/", views.CompareView.as_view(), name="catalog-compare"),
    path("", include(router.urls)),
]
