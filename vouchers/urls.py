"""Company pages, mounted at /vouchers/."""

from django.urls import path

from vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("", views.VouchersView.as_view(), name="list"),
    path("programs/<int:pk>/", views.ProgramView.as_view(), name="program"),
    path("applications/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
]
