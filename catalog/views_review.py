"""Operator review of partner listings.

Cross-tenant by design: operator staff review every partner's submissions, so versions are read
with `OfferingVersion.unscoped` (through `catalog.selectors_partner`). Only operator tenants with
`Perm.REVIEW_LISTINGS` get past the mixin, and the permission check comes before any lookup."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from catalog.choices import OfferingKind, VersionState
from catalog.forms import RejectForm, ReviewFilter
from catalog.models import OfferingVersion
from catalog.rendering import render_markdown
from catalog.selectors_partner import content_rows, review_queue, review_version, reviewable_versions, version_diff
from catalog.services.listings import version_approve, version_reject
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind

PAGE_SIZE = 50


class ReviewPageMixin(TenantPageMixin):
    permission = Perm.REVIEW_LISTINGS
    tenant_kinds = (TenantKind.OPERATOR,)


class ReviewQueueView(ReviewPageMixin, TemplateView):
    template_name = "catalog/review/queue.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#queue"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = ReviewFilter(self.request.GET, queryset=review_queue())
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context |= {
            "filterset": filterset,
            "page": page,
            "queue_count": review_queue().count(),  # the whole queue, whatever the filter
            "kinds": OfferingKind.choices,
            "filters": {"kind": self.request.GET.get("kind", "")},
            "reject_form": RejectForm(),
        }
        return context


class ReviewVersionView(ReviewPageMixin, TemplateView):
    template_name = "catalog/review/version.html"

    def get_context_data(self, reject_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            version = review_version(kwargs["pk"])
        except OfferingVersion.DoesNotExist:
            raise Http404 from None
        context |= version_context(version)
        context["reject_form"] = reject_form or RejectForm()
        return context


def version_context(version: OfferingVersion) -> dict:
    return {
        "version": version,
        "offering": version.offering,
        "partner": version.offering.tenant,
        "rows": content_rows(version),
        "diff": version_diff(version),
        "description_zh_html": render_markdown(version.description_zh),
        "description_en_html": render_markdown(version.description_en),
        "in_review": version.state == VersionState.IN_REVIEW,
    }


class ReviewActionView(ReviewPageMixin, View):
    """Approve or reject one version. From a queue row (htmx) the row leaves the queue; from the
    version page the reviewer goes back to the queue."""

    def post(self, request, pk: int):
        version = get_object_or_404(reviewable_versions().select_related("offering__tenant"), pk=pk)
        from_row = bool(request.htmx) and request.htmx.target == f"review-row-{pk}"
        form = RejectForm(request.POST)
        try:
            message = self.perform(version, form)
        except ValidationError as exc:
            return self.failed(version, form, exc, from_row)
        if from_row:
            context = {"done_message": message, "queue_count": review_queue().count()}
            return render(request, "catalog/review/queue.html#row-done", context)
        messages.success(request, message)
        url = reverse("review:queue")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    def failed(self, version, form, exc: ValidationError, from_row: bool):
        request = self.request
        reason_errors = exc.message_dict.get("reason", []) if hasattr(exc, "error_dict") else []
        form = RejectForm(request.POST)
        form.is_valid()
        for message in reason_errors:
            if message not in form.errors.get("reason", []):
                form.add_error("reason", message)
        other_errors = [] if reason_errors else exc.messages
        if from_row:
            # htmx swaps only 2xx answers: the row comes back with its error, or leaves the
            # queue if someone else has already decided.
            current = review_queue().filter(pk=version.pk).first()
            if current is None:
                context = {"done_message": " ".join(other_errors), "queue_count": review_queue().count()}
                return render(request, "catalog/review/queue.html#row-done", context)
            return render(
                request, "catalog/review/queue.html#row", {"v": current, "row_form": form, "row_errors": other_errors}
            )
        context = version_context(review_version(version.pk)) | {"reject_form": form, "action_errors": other_errors}
        template = "catalog/review/version.html"
        if request.htmx:
            return render(request, f"{template}#actions", context)
        return render(request, template, context, status=400)

    def perform(self, version, form) -> str:
        raise NotImplementedError


class ReviewApproveView(ReviewActionView):
    def perform(self, version, form) -> str:
        version_approve(version=version, acting_membership=self.membership)
        return _("“%(name)s” v%(n)d is approved and live.") % {"name": version.name, "n": version.number}


class ReviewRejectView(ReviewActionView):
    def perform(self, version, form) -> str:
        if not form.is_valid():
            raise ValidationError({"reason": form.errors["reason"]})
        version_reject(version=version, acting_membership=self.membership, reason=form.cleaned_data["reason"])
        return _("“%(name)s” v%(n)d is sent back to the partner.") % {"name": version.name, "n": version.number}
