"""Pages for launching and following jobs. Each parses input, calls a service or a selector and
renders; tenant scoping comes from `TenantPageMixin` and the scoped managers, so another
tenant's job is a 404 exactly like a missing one."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from billing.services.ledger import format_fen
from jobs import selectors, storage
from jobs.filtersets import JobFilterSet
from jobs.forms import (
    INPUTS_PREFIX,
    LaunchOptionsForm,
    WebhookForm,
    example_initial,
    schema_form_class,
    webhook_clear,
    webhook_rotate_secret,
)
from jobs.models import Job, JobArtifact, JobState, WebhookEndpoint
from jobs.services.launch import LaunchError, LaunchRequest, launch
from jobs.services.lifecycle import JobActionError, cancel, retry
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind, has_perm
from tenants.views import TenantObjectActionView

PAGE_SIZE = 25
STOP_POLLING = 286  # htmx stops polling an element that gets this status


def optional_url(name: str, *args) -> str:
    """The URL of a page another part of the portal may not have yet (then "")."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


# --- Launch --------------------------------------------------------------------------------------


class LaunchView(TenantPageMixin, View):
    """A solution template's launch form: its inputs, where to run, the estimate, then launch."""

    permission = Perm.LAUNCH_JOBS
    template_name = "jobs/launch.html"

    def get(self, request, slug: str):
        version, options = self._template(slug)
        if _fragment(request):
            sizing = selectors.sizing(version, self.tenant, options, request.GET.get("pool"), request.GET.get("cards"))
            return render(request, f"{self.template_name}#sizing", self._sizing_context(sizing))
        form_class = schema_form_class(version)
        initial = example_initial(form_class, version.example_inputs) if request.GET.get("example") else {}
        inputs = form_class(initial=initial, prefix=INPUTS_PREFIX)
        run = LaunchOptionsForm(options=options, initial={"launch_key": uuid.uuid4().hex})
        sizing = selectors.sizing(version, self.tenant, options, None, None)
        return render(request, self.template_name, self._context(version, options, inputs, run, sizing))

    def post(self, request, slug: str):
        version, options = self._template(slug)
        inputs = schema_form_class(version)(request.POST, request.FILES, prefix=INPUTS_PREFIX)
        run = LaunchOptionsForm(request.POST, options=options)
        sizing = selectors.sizing(version, self.tenant, options, request.POST.get("pool"), request.POST.get("cards"))
        link = ""
        if inputs.is_valid() & run.is_valid():  # both, so every mistake shows at once
            try:
                job = self._launch(version, options, inputs, run)
            except LaunchError as error:
                link = self._place_error(error, inputs, run)
            else:
                url = reverse("jobs:detail", args=[job.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        context = self._context(version, options, inputs, run, sizing) | {"error_link": link}
        return render(request, self.template_name, context, status=400)

    def _template(self, slug: str):
        version = selectors.live_template(slug)
        if version is None:
            raise Http404
        return version, selectors.pool_options(version)

    def _launch(self, version, options, inputs, run) -> Job:
        params, files = inputs.to_inputs()
        data = run.cleaned_data
        pool = next(o.pool for o in options if o.pool.pk == data["pool"])
        key = data.get("launch_key")
        request = LaunchRequest(
            version=version,
            pool=pool,
            cards=data["cards"],
            params=params,
            files=files,
            deadline=data.get("deadline"),
            name=data.get("name", ""),
            idempotency_key=f"page-{key}" if key else None,
        )
        job, _created = launch(tenant=self.tenant, actor=self.request.user, request=request)
        return job

    @staticmethod
    def _place_error(error: LaunchError, inputs, run) -> str:
        """Put the refusal on the field it is about; else on the form, with where to fix it."""
        message = str(error.message)
        if error.code == "idempotency_conflict":
            message = _("This form has already launched a job. Open the launch page again to launch another.")
        if error.field and error.field in inputs.fields:
            inputs.add_error(error.field, message)
        elif error.field and error.field in run.fields:
            run.add_error(error.field, message)
        else:
            run.add_error(None, message)
        return error.link

    def _context(self, version, options, inputs, run, sizing) -> dict:
        return {
            "v": version,
            "options": options,
            **_pool_groups(options, sizing.option.pool.pk if sizing.option else None),
            "inputs": inputs,
            "run": run,
            "has_example": bool(version.example_inputs),
            **self._sizing_context(sizing),
        }

    def _sizing_context(self, sizing) -> dict:
        return {
            "sizing": sizing,
            "money": sizing.money(),
            "wallet_url": optional_url("payments:wallet"),
            "quotas_url": optional_url("compute:quotas"),
        }


FIRST_POOLS = 6  # pools shown before "more pools": the best matches (score, then price) come first


def _pool_groups(options, selected: int | None) -> dict:
    """The pool picker in three parts, so 200 pools do not bury the form: the best usable ones, the
    other usable ones (folded), and the ones that cannot run the template, with why (folded)."""
    usable = [o for o in options if o.usable]
    first = usable[:FIRST_POOLS]
    more = usable[FIRST_POOLS:]
    chosen = next((o for o in more if o.pool.pk == selected), None)
    if chosen is not None:  # the pool the form is set to stays in sight
        more.remove(chosen)
        first.append(chosen)
    return {"pools_first": first, "pools_more": more, "pools_unusable": [o for o in options if not o.usable]}


# --- Jobs list -----------------------------------------------------------------------------------


class JobListView(TenantPageMixin, TemplateView):
    permission = Perm.VIEW_JOBS
    template_name = "jobs/list.html"

    def get(self, request):
        filterset = self._filterset(request.GET)
        page = Paginator(selectors.job_rows(filterset.qs), PAGE_SIZE).get_page(request.GET.get("page"))
        for job in page:
            job.estimate_display = format_fen(job.estimate_fen)
        context = {
            "filterset": filterset,
            "filters": filterset.form.cleaned_data,
            "page": page,
            "templates": selectors.launched_templates(),
            "pools": filterset.filters["pool"].queryset.select_related("chip_type"),
            "states": JobState.choices,
            "has_filters": any(v for k, v in request.GET.items() if k != "page"),
        }
        return render(request, f"{self.template_name}#jobs" if _fragment(request) else self.template_name, context)

    @staticmethod
    def _filterset(data) -> JobFilterSet:
        """A bound FilterSet; values it cannot understand are dropped, so a bad link never breaks the page."""
        filterset = JobFilterSet(data, queryset=Job.objects.all())
        if not filterset.is_valid():
            data = data.copy()
            for name in filterset.errors:
                data.pop(name, None)
            filterset = JobFilterSet(data, queryset=Job.objects.all())
            filterset.is_valid()
        return filterset


# --- One job -------------------------------------------------------------------------------------


class JobPageMixin(TenantPageMixin):
    permission = Perm.VIEW_JOBS
    _job: Job | None = None

    def dispatch(self, request, *args, **kwargs):
        # Look the job up before the method check, so another company's job is a 404 for every
        # method, exactly like a missing one (members who may not see jobs get the mixin's 403).
        membership = getattr(request, "membership", None)
        if request.user.is_authenticated and "pk" in kwargs and has_perm(membership, self.permission):
            self.job(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def job(self, pk: int) -> Job:
        if self._job is None or self._job.pk != pk:
            self._job = selectors.job_for_page(pk)
            if self._job is None:
                raise Http404
        return self._job


class JobDetailView(JobPageMixin, View):
    template_name = "jobs/detail.html"

    def get(self, request, pk: int):
        job = self.job(pk)
        entries = selectors.timeline(job)
        files = selectors.artifacts(job)
        first = selectors.read_log(job, 0)
        context = {
            **_status_context(request, job),
            "entries": entries,
            "attempts": selectors.attempts(entries),
            "artifacts": files,
            "results": selectors.results(job, files),
            "log": first,
            "files_removed": selectors.files_removed_text(job) if job.files_removed_at else "",
        }
        return render(request, self.template_name, context)


def _status_context(request, job: Job) -> dict:
    usage = selectors.usage_so_far(job)
    return {
        "job": job,
        "usage": usage,
        "running_time": selectors.elapsed(usage.running_seconds),
        "estimate": format_fen(job.estimate_fen),
        "estimate_voucher": format_fen(job.voucher_estimate_fen) if job.voucher_estimate_fen else "",
        "paid": selectors.paid_so_far(job),
        "failure": selectors.failure_text(job) if job.failure else "",
        "can_launch": has_perm(request.membership, Perm.LAUNCH_JOBS),
    }


class JobStatusView(JobPageMixin, View):
    """The state and progress panel, polled while the job is active. Once the job is over the whole
    page is reloaded, so its results and files appear."""

    def get(self, request, pk: int):
        job = self.job(pk)
        response = render(request, "jobs/detail.html#status", _status_context(request, job))
        if not job.is_active:
            response.status_code = STOP_POLLING
            response["HX-Refresh"] = "true"
        return response


class JobLogsView(JobPageMixin, View):
    """New log text since `offset`, appended to the page's log; stops polling once all is read."""

    def get(self, request, pk: int):
        job = self.job(pk)
        try:
            offset = max(0, int(request.GET.get("offset", 0)))
        except ValueError:
            offset = 0
        chunk = selectors.read_log(job, offset)
        response = render(request, "jobs/detail.html#log-chunk", {"job": job, "log": chunk})
        if chunk.done:
            response.status_code = STOP_POLLING
        return response


class ArtifactDownloadView(JobPageMixin, View):
    def get(self, request, pk: int, attempt: int, name: str):
        job = self.job(pk)
        get_object_or_404(JobArtifact.objects.filter(job=job), attempt=attempt, name=name)
        if job.files_removed_at:
            messages.error(request, selectors.files_removed_text(job))
            return redirect("jobs:detail", pk=job.pk)
        path = storage.artifact_path(job, attempt, name)
        if path is None:
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


class JobActionView(TenantObjectActionView):
    """Cancel or retry: POST only, another tenant's job is a 404 for any method."""

    model = Job
    permission = Perm.LAUNCH_JOBS

    def post(self, request, pk: int):
        try:
            self.perform(self.object)
        except JobActionError as error:
            messages.error(request, str(error))
        url = reverse("jobs:detail", args=[pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


class JobCancelView(JobActionView):
    def perform(self, obj: Job) -> None:
        cancel(job=obj, actor=self.request.user)
        messages.success(self.request, _("The job is being cancelled."))


class JobRetryView(JobActionView):
    def perform(self, obj: Job) -> None:
        job = retry(job=obj, actor=self.request.user)
        messages.success(self.request, _("Attempt %(n)d has started.") % {"n": job.attempt})


# --- Webhook -------------------------------------------------------------------------------------


class WebhookView(TenantPageMixin, TemplateView):
    """Where job events are POSTed. The secret is shown once, when it is made."""

    permission = Perm.MANAGE_API_KEYS
    tenant_kinds = (TenantKind.COMPANY,)
    template_name = "jobs/webhook.html"

    def get_context_data(self, form=None, secret: str = "", **kwargs):
        endpoint = WebhookEndpoint.objects.first()
        initial = {"url": endpoint.url} if endpoint and endpoint.is_active else {}
        context = super().get_context_data(**kwargs)
        context |= {"endpoint": endpoint, "form": form or WebhookForm(initial=initial), "secret": secret}
        return context

    def post(self, request):
        action = request.POST.get("action", "save")
        endpoint = WebhookEndpoint.objects.first()
        if action in ("rotate", "clear"):
            if endpoint is None:
                raise Http404
            if action == "clear":
                webhook_clear(endpoint=endpoint, tenant=self.tenant, actor=request.user)
                messages.success(request, _("Job events are no longer sent."))
                return redirect("jobs:webhook")
            secret = webhook_rotate_secret(endpoint=endpoint, tenant=self.tenant, actor=request.user)
            return render(request, self.template_name, self.get_context_data(secret=secret))
        form = WebhookForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.get_context_data(form=form), status=400)
        _endpoint, secret = form.save(tenant=self.tenant, actor=request.user)
        messages.success(request, _("Webhook saved."))
        if secret:
            return render(request, self.template_name, self.get_context_data(secret=secret))
        return redirect("jobs:webhook")
