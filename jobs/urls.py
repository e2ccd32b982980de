"""Placeholder until the pages land."""

app_name = "jobs"
urlpatterns: list = []
