from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from notifications.models import EmailMode, Notification
from notifications.services import email_mode_for, notification_mark_read, preference_set


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=gettext_lazy("Email me about notifications"), choices=EmailMode.choices, widget=forms.RadioSelect
    )


@login_required
def notification_list(request):
    qs = Notification.objects.for_user(request.user).select_related("tenant")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    form = PreferenceForm(initial={"email_mode": email_mode_for(request.user)})
    return render(request, "notifications/list.html", {"page": page, "form": form})


@login_required
def bell(request):
    """The header bell: unread count and the latest few, polled by htmx."""
    mine = Notification.objects.for_user(request.user)
    context = {"unread": mine.unread().count(), "latest": list(mine[:5])}
    return render(request, "notifications/bell.html", context)


@login_required
def mark_read(request, pk: int):
    note = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)  # before the method check
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notification_mark_read(user=request.user, notification_id=note.pk)
    if note.url:
        return redirect(note.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    notification_mark_read(user=request.user)
    if request.htmx:
        return bell(request)
    return redirect("notifications:list")


@login_required
@require_POST
def preferences(request):
    form = PreferenceForm(request.POST)
    if form.is_valid():
        preference_set(user=request.user, email_mode=form.cleaned_data["email_mode"])
        messages.success(request, _("Notification preference saved."))
    else:
        messages.error(request, _("Choose one of the options."))
    return redirect("notifications:list")
