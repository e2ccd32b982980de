"""Operator pages for pools and quotas."""

app_name = "compute-operator"
urlpatterns: list = []
