"""Jobs pages, mounted at /jobs/."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("launch/<slug:slug>/", views.LaunchView.as_view(), name="launch"),
    path("webhook/", views.WebhookView.as_view(), name="webhook"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="detail"),
    path("<int:pk>/status/", views.JobStatusView.as_view(), name="status"),
    path("<int:pk>/logs/", views.JobLogsView.as_view(), name="logs"),
    path("<int:pk>/cancel/", views.JobCancelView.as_view(), name="cancel"),
    path("<int:pk>/retry/", views.JobRetryView.as_view(), name="retry"),
    path("<int:pk>/artifacts/<int:attempt>/<path:name>", views.ArtifactDownloadView.as_view(), name="artifact"),
]
