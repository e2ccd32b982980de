from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("o/<slug:slug>/", views.detail, name="detail"),
    path("o/<slug:slug>/favourite/", views.favourite, name="favourite"),
    path("o/<slug:slug>/compare/", views.compare_toggle, name="compare-toggle"),
    path("compare/", views.compare, name="compare"),
    path("compare/clear/", views.compare_clear, name="compare-clear"),
    path("favourites/", views.favourites, name="favourites"),
    path("partners/", views.partners, name="partners"),
    path("partners/<int:pk>/", views.partner, name="partner"),
    path("compatibility/", views.compatibility, name="compatibility"),
]
