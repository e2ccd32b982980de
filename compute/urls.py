"""Placeholder until the pages land."""

app_name = "compute"
urlpatterns: list = []
