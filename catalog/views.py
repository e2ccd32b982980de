"""The public catalog: anyone may browse published offerings; favourites need an account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.choices import OfferingKind, PartnerCategory
from catalog.compare import COMPARE_MAX, compare_rows, compare_versions
from catalog.filtersets import SORTS
from catalog.models import ChipType, PartnerProfile
from catalog.selectors import (
    catalog_filterset,
    compatibility_for_model,
    facet_counts,
    favourite_ids,
    favourite_versions,
    heatmap,
    heatmap_models,
    live_version_by_slug,
    live_versions,
    model_families,
    partner_profiles,
    pools_for_chips,
    result_page_queryset,
)
from catalog.services.engagement import favourite_toggle, offering_record_view
from tenants.choices import Industry, Province

PAGE_SIZE = 20
COMPARE_KEY = "compare_offerings"


def _facet_groups(filterset, counts, chips) -> list[dict]:
    """What the sidebar shows: each facet's options with counts, selected ones first-class."""
    data = filterset.form.cleaned_data
    chip_names = {c.slug: str(c) for c in chips}
    labels = {
        "kind": dict(OfferingKind.choices),
        "category": dict(PartnerCategory.choices),
        "industry": dict(Industry.choices),
        "region": dict(Province.choices),
        "vendor": {},
        "chip": chip_names,
    }
    groups = []
    for name in ("kind", "category", "industry", "vendor", "region"):
        selected = set(data.get(name) or [])
        options = [
            {"value": value, "label": labels[name].get(value, value), "count": n, "selected": value in selected}
            for value, n in sorted(counts[name].items(), key=lambda kv: (-kv[1], str(kv[0])))
            if value
        ]
        options += [
            {"value": v, "label": labels[name].get(v, v), "count": 0, "selected": True}
            for v in selected
            if v not in counts[name]
        ]
        groups.append({"name": name, "label": filterset.filters[name].label, "options": options})
    return groups


def browse(request):
    filterset, ignored = catalog_filterset(request.GET)
    page = Paginator(result_page_queryset(filterset), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = facet_counts(filterset)
    chip = filterset.form.cleaned_data.get("chip")
    chips = list(ChipType.objects.all())
    context = {
        "filterset": filterset,
        "page": page,
        "groups": _facet_groups(filterset, counts, chips),
        "domestic_count": counts["domestic"]["true"],
        "chip_options": [(c.slug, str(c), counts["chip"].get(c.slug, 0)) for c in chips],
        "selected_chip": chip.slug if chip else "",
        "sorts": SORTS.items(),
        "ignored": ignored,
        "favourites": favourite_ids(request.user, [v.offering_id for v in page]),
        "compare": request.session.get(COMPARE_KEY, []),
        "has_filters": any(k for k in request.GET if k not in ("page", "sort")),
    }
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    return render(request, "catalog/browse.html#results" if partial else "catalog/browse.html", context)


def detail(request, slug: str):
    version = live_version_by_slug(slug)
    if version is None:
        raise Http404
    offering_record_view(offering_id=version.offering_id)
    context = {
        "v": version,
        "offering": version.offering,
        "is_favourite": bool(favourite_ids(request.user, [version.offering_id])),
        "in_compare": slug in request.session.get(COMPARE_KEY, []),
    }
    if version.kind == OfferingKind.MODEL:
        context["compat"] = compatibility_for_model(version.offering_id)
        context["pools"] = pools_for_chips([c.chip_type_id for c in context["compat"] if c.status != "unsupported"])
    elif version.kind == OfferingKind.SOLUTION and version.model_offering_id:
        compat = compatibility_for_model(version.model_offering_id)
        context["compat"] = compat
        context["pools"] = pools_for_chips([c.chip_type_id for c in compat if c.status != "unsupported"])
        context["form_fields"] = _schema_fields(version.launch_schema)
    return render(request, "catalog/detail.html", context)


def _schema_fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "title": spec.get("title", name),
            "type": spec.get("type", ""),
            "required": name in required,
            "description": spec.get("description", ""),
        }
        for name, spec in (schema.get("properties") or {}).items()
    ]


def _offering_for_action(slug: str):
    version = live_version_by_slug(slug)
    if version is None:
        raise Http404
    return version


@login_required
def favourite(request, slug: str):
    version = _offering_for_action(slug)  # before the method check: unknown slug is a 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    is_favourite = favourite_toggle(user=request.user, offering=version.offering)
    if request.htmx:
        return render(request, "catalog/_favourite_button.html", {"v": version, "is_favourite": is_favourite})
    messages.success(request, _("Saved to your favourites.") if is_favourite else _("Removed from your favourites."))
    return _back(request, version)


def compare_toggle(request, slug: str):
    version = _offering_for_action(slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    chosen = list(request.session.get(COMPARE_KEY, []))
    full = False
    if slug in chosen:
        chosen.remove(slug)
    elif len(chosen) >= COMPARE_MAX:
        full = True
    else:
        chosen.append(slug)
    request.session[COMPARE_KEY] = chosen
    if request.htmx:
        return render(request, "catalog/_compare_button.html", {"v": version, "compare": chosen, "full": full})
    if full:
        messages.warning(request, _("You can compare up to 4 offerings. Remove one first."))
    return _back(request, version)


def _back(request, version):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("catalog:detail", slug=version.offering.slug)


def compare(request):
    """Up to 4 offerings side by side: from ?o=slug&o=slug (shareable) or the visitor's selection."""
    versions, _missing = compare_versions(request.GET.getlist("o") or request.session.get(COMPARE_KEY, []))
    share = "&".join(f"o={v.offering.slug}" for v in versions)
    context = {"versions": versions, "rows": compare_rows(versions), "share_query": share}
    return render(request, "catalog/compare.html", context)


@require_POST
def compare_clear(request):
    request.session[COMPARE_KEY] = []
    return redirect("catalog:compare")


@login_required
def favourites(request):
    page = Paginator(favourite_versions(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/favourites.html", {"page": page, "favourites": {v.offering_id for v in page}})


def partners(request):
    category = request.GET.get("category", "")
    if category not in PartnerCategory.values:
        category = ""
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(partner_profiles(category, q), 30).get_page(request.GET.get("page"))
    totals = dict(PartnerProfile.objects.values_list("category").annotate(n=Count("pk")))
    categories = [(value, label, totals.get(value, 0)) for value, label in PartnerCategory.choices]
    return render(
        request, "catalog/partners.html", {"page": page, "categories": categories, "category": category, "q": q}
    )


def partner(request, pk: int):
    profile = PartnerProfile.objects.select_related("tenant").filter(tenant_id=pk).first()
    if profile is None:
        raise Http404
    versions = (
        live_versions()
        .filter(tenant_id=pk)
        .select_related("offering", "tenant", "chip_type")
        .order_by("kind", "name_en", "pk")
    )
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/partner.html",
        {"profile": profile, "page": page, "favourites": favourite_ids(request.user, [v.offering_id for v in page])},
    )


def compatibility(request):
    families = model_families()
    family = request.GET.get("family", "")
    if family not in families:
        family = ""
    page = Paginator(heatmap_models(family), 40).get_page(request.GET.get("page"))
    chips, cells = heatmap(list(page))
    rows = [(m, [cells.get((m.offering_id, c.pk)) for c in chips]) for m in page]
    context = {"rows": rows, "chips": chips, "families": families, "family": family, "page": page}
    return render(request, "catalog/compatibility.html", context)
