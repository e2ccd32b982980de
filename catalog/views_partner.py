"""Partner self-service pages: a partner's own listings, their drafts, review and statistics.

Every page is for partner tenants only. Listings come from the scoped manager and are looked up
before the permission and method checks, so another partner's listing is a 404 for every method.
Viewers see; owners and listing managers change (`Perm.MANAGE_LISTINGS`)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.forms import ImportForm, ListingForm, PartnerListingFilter
from catalog.models import Offering
from catalog.selectors_partner import (
    content_rows,
    current_version,
    export_versions,
    field_label,
    listing_daily_stats,
    listing_history,
    listing_preview,
    listing_status_counts,
    partner_listings,
    with_versions,
)
from catalog.services.imports import (
    COLUMNS,
    MAX_UPLOAD_BYTES,
    ImportFileError,
    export_csv,
    export_xlsx,
    listings_import,
    parse_listings_upload,
)
from catalog.services.listings import (
    offering_create,
    offering_new_version,
    offering_retire,
    offering_submit,
    offering_withdraw,
    version_update,
)
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind, has_perm
from tenants.views import TenantObjectActionView, _add_errors

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PAGE_SIZE = 50


def _error_messages(exc: ValidationError) -> list[str]:
    """A service's errors as sentences that say which field they are about."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    out = []
    for name, errors in exc.message_dict.items():
        for message in errors:
            out.append(message if name == "__all__" else f"{_label(name)}: {message}")
    return out


def _label(name: str) -> str:
    if name == "kind":
        return _("Kind")
    if not name:
        return ""
    try:
        return field_label(name)
    except FieldDoesNotExist:
        return name


class PartnerPageMixin(TenantPageMixin):
    model = Offering
    permission = Perm.VIEW_LISTINGS
    write_permission = Perm.MANAGE_LISTINGS
    tenant_kinds = (TenantKind.PARTNER,)

    def required_permission(self, request):
        return self.permission if request.method in SAFE_METHODS else self.write_permission

    @property
    def can_manage(self) -> bool:
        return has_perm(self.membership, Perm.MANAGE_LISTINGS)


class ListingObjectMixin(PartnerPageMixin):
    """Resolve the URL's listing first: another partner's listing is a 404 like a missing one."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and getattr(request, "membership", None) is not None:
            self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return with_versions(Offering.objects.all())


# --- The list -----------------------------------------------------------------------------------


class ListingListView(PartnerPageMixin, TemplateView):
    template_name = "catalog/partner/list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#listings"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        filterset = PartnerListingFilter(params, queryset=partner_listings())
        unfiltered_status = PartnerListingFilter(
            {k: v for k, v in params.items() if k not in ("status", "page")}, queryset=Offering.objects.all()
        )
        context["filterset"] = filterset
        context["page"] = Paginator(filterset.qs, PAGE_SIZE).get_page(params.get("page"))
        counts = listing_status_counts(unfiltered_status.qs)
        context["counts"] = counts
        context["statuses"] = OfferingStatus.choices
        context["status_tabs"] = [(value, label, counts[value]) for value, label in OfferingStatus.choices]
        context["kinds"] = OfferingKind.choices
        context["filters"] = {k: params.get(k, "") for k in ("kind", "status", "q")}
        context["can_manage"] = self.can_manage
        return context


# --- Create and edit ----------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in OfferingKind.values:
        raise Http404


class ListingCreateView(PartnerPageMixin, View):
    permission = Perm.MANAGE_LISTINGS  # the form is of no use to a viewer
    template_name = "catalog/partner/form.html"

    def render_form(self, form, kind, status=200):
        context = {"form": form, "kind": kind, "kind_label": OfferingKind(kind).label, "creating": True}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, kind: str):
        _check_kind(kind)
        return self.render_form(ListingForm(kind=kind), kind)

    def post(self, request, kind: str):
        _check_kind(kind)
        form = ListingForm(request.POST, kind=kind)
        if form.is_valid():
            try:
                offering = offering_create(acting_membership=self.membership, kind=kind, content=form.content())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Draft saved. Preview it, then submit it for review."))
                return redirect("partner:listing-detail", offering.pk)
        return self.render_form(form, kind, status=400)


class ListingEditView(ListingObjectMixin, View):
    permission = Perm.MANAGE_LISTINGS
    template_name = "catalog/partner/form.html"

    def target(self):
        """The version an edit would change: the open one, else the live one (which refuses)."""
        return current_version(self.object)

    def render_form(self, form, version, status=200):
        context = {
            "form": form,
            "offering": self.object,
            "version": version,
            "kind": self.object.kind,
            "kind_label": self.object.get_kind_display(),
            "editable": version is not None and version.is_editable,
            "creating": False,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        version = self.target()
        form = ListingForm(kind=self.object.kind, initial=ListingForm.initial_for(version)) if version else None
        return self.render_form(form, version)

    def post(self, request, pk: int):
        version = self.target()
        if version is None:
            raise Http404
        form = ListingForm(request.POST, kind=self.object.kind)
        if form.is_valid():
            try:
                version_update(version=version, acting_membership=self.membership, content=form.content())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("partner:listing-detail", self.object.pk)
        return self.render_form(form, version, status=400)


# --- Detail and preview -------------------------------------------------------------------------


class ListingDetailView(ListingObjectMixin, TemplateView):
    template_name = "catalog/partner/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        offering = self.object
        open_version = offering.open_versions[0] if offering.open_versions else None
        live = offering.live_version
        can_manage = self.can_manage
        context |= {
            "offering": offering,
            "live": live,
            "open_version": open_version,
            "current": open_version or live,
            "live_rows": content_rows(live) if live else [],
            "open_rows": content_rows(open_version) if open_version else [],
            "history": listing_history(offering),
            "stats": listing_daily_stats(offering),
            "can_manage": can_manage,
            "can_edit": can_manage and open_version is not None and open_version.is_editable,
            "can_submit": can_manage
            and open_version is not None
            and open_version.state in (VersionState.DRAFT, VersionState.REJECTED),
            "can_withdraw": can_manage and open_version is not None and open_version.state == VersionState.IN_REVIEW,
            "can_new_version": can_manage and open_version is None and live is not None,
            "can_retire": can_manage and offering.status != OfferingStatus.RETIRED,
        }
        return context


class ListingPreviewView(ListingObjectMixin, TemplateView):
    """The open version (else the live one) laid out as the public catalog shows a listing."""

    template_name = "catalog/partner/preview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = listing_preview(self.object)
        if preview is None:
            raise Http404
        context |= {
            "offering": self.object,
            "version": preview.version,
            "partner": self.tenant,
            "rows": preview.rows,
            "description_html": preview.description_html,
        }
        return context


# --- Actions ------------------------------------------------------------------------------------


class ListingActionView(TenantObjectActionView):
    """POST-only action on one of the partner's listings; errors come back as messages."""

    model = Offering
    permission = Perm.MANAGE_LISTINGS
    tenant_kinds = (TenantKind.PARTNER,)

    def post(self, request, pk: int):
        try:
            url = self.perform(self.object)
        except ValidationError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
            url = reverse("partner:listing-detail", args=[self.object.pk])
        return _done(request, url)


def _done(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


class ListingSubmitView(ListingActionView):
    def perform(self, obj):
        version = offering_submit(offering=obj, acting_membership=self.membership)
        messages.success(
            self.request, _("Version %(n)d is submitted. Operator staff will review it.") % {"n": version.number}
        )
        return reverse("partner:listing-detail", args=[obj.pk])


class ListingWithdrawView(ListingActionView):
    def perform(self, obj):
        version = offering_withdraw(offering=obj, acting_membership=self.membership)
        messages.success(
            self.request,
            _("Version %(n)d is back to a draft: change it and submit it again when it is ready.")
            % {"n": version.number},
        )
        return reverse("partner:listing-detail", args=[obj.pk])


class ListingNewVersionView(ListingActionView):
    def perform(self, obj):
        version = offering_new_version(offering=obj, acting_membership=self.membership)
        messages.success(
            self.request,
            _(
                "Version %(n)d is a draft copy of the live one. The live version stays in the catalog until the new one is approved."
            )
            % {"n": version.number},
        )
        return reverse("partner:listing-edit", args=[obj.pk])


class ListingRetireView(ListingActionView):
    def perform(self, obj):
        offering_retire(offering=obj, acting_membership=self.membership)
        messages.success(self.request, _("The listing is retired and no longer in the catalog."))
        return reverse("partner:listing-detail", args=[obj.pk])


# --- Import and export --------------------------------------------------------------------------


class ListingImportView(PartnerPageMixin, View):
    permission = Perm.MANAGE_LISTINGS
    template_name = "catalog/partner/import.html"

    def render_page(self, form, *, file_error=None, result=None, status=200):
        errors = result.errors if result else []
        context = {
            "form": form,
            "file_error": file_error,
            "result": result,
            "report": [
                {"row": e.row, "field": e.field, "label": _label(e.field), "message": e.message} for e in errors
            ],
            "bad_rows": len({e.row for e in errors}),
            "columns": COLUMNS,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            rows = parse_listings_upload(form.cleaned_data["file"])
        except ImportFileError as exc:
            return self.render_page(form, file_error=exc.message, status=400)
        result = listings_import(
            acting_membership=self.membership, rows=rows, submit=form.cleaned_data["submit_for_review"]
        )
        if not result.ok:
            return self.render_page(form, result=result, status=400)
        for message in import_summary(result):
            messages.success(request, message)
        if result.submitted:
            messages.info(
                request,
                ngettext(
                    "%(n)d listing submitted for review.", "%(n)d listings submitted for review.", result.submitted
                )
                % {"n": result.submitted},
            )
        return redirect("partner:listings")


def import_summary(result) -> list[str]:
    """What an import did, a sentence per kind of outcome it had (new, changed, left alone)."""
    sentences = []
    if created := len(result.created):
        sentences.append(ngettext("%(n)d draft imported.", "%(n)d drafts imported.", created) % {"n": created})
    if updated := len(result.updated):
        sentences.append(ngettext("%(n)d listing updated.", "%(n)d listings updated.", updated) % {"n": updated})
    if unchanged := len(result.unchanged):
        sentences.append(
            ngettext(
                "%(n)d listing unchanged: its row is what it has already.",
                "%(n)d listings unchanged: their rows are what they have already.",
                unchanged,
            )
            % {"n": unchanged}
        )
    return sentences


EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", export_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export_xlsx),
}


def export_file(tenant, fmt: str) -> HttpResponse:
    """The active partner's listings (open, else live version) in the import format, as a "csv" or
    "xlsx" download (the page's and the API's)."""
    content_type, write = EXPORT_FORMATS[fmt]
    response = HttpResponse(write(export_versions()), content_type=content_type)
    filename = f"listings-{tenant.pk}-{date.today():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ListingExportView(PartnerPageMixin, View):
    """The partner's listings (open, else live version) in the import format."""

    def get(self, request, fmt: str):
        return export_file(self.tenant, fmt)
