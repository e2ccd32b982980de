"""Pages for organisations, members, invitations and API keys. Each parses input, calls one
service and renders; tenant scoping comes from `TenantPageMixin` and the scoped managers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from tenants.forms import (
    ApiKeyForm,
    InviteForm,
    OperatorRegisterForm,
    OrganisationForm,
    RegisterOrganisationForm,
    RoleForm,
)
from tenants.middleware import SESSION_KEY
from tenants.mixins import TenantPageMixin
from tenants.models import ApiKey, Invitation, InvitationStatus, Membership, Tenant
from tenants.roles import Perm, TenantKind, has_perm
from tenants.services.api_keys import api_key_create, api_key_revoke
from tenants.services.invitations import invitation_accept, invitation_create, invitation_for_token, invitation_revoke
from tenants.services.members import member_change_role, member_remove
from tenants.services.organisations import (
    tenant_register,
    tenant_register_by_operator,
    tenant_set_verified,
    tenant_update,
)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _done(request, url_name: str, *args):
    url = reverse(url_name, args=args)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- Joining: register an organisation or accept an invitation -----------------------------------


@login_required
def onboarding(request):
    form = RegisterOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenant = tenant_register(acting_user=request.user, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session[SESSION_KEY] = tenant.pk
            messages.success(request, _("Welcome! Your organisation is registered."))
            return redirect("dashboard")
    invitations = Invitation.unscoped.select_related("tenant").filter(
        email__iexact=request.user.email, status=InvitationStatus.PENDING
    )
    return render(request, "tenants/onboarding.html", {"form": form, "invitations": invitations})


@login_required
@require_POST
def switch_tenant(request):
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError:
        raise Http404 from None
    if not any(m.tenant_id == tenant_id for m in request.memberships):
        raise Http404
    request.session[SESSION_KEY] = tenant_id
    return _done(request, "dashboard")


def invitation_detail(request, token: str):
    """The link in an invitation email. Anyone with the link may look; accepting needs a login
    with the invited address."""
    invitation = invitation_for_token(token)
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = invitation_accept(token=token, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            request.session[SESSION_KEY] = membership.tenant_id
            messages.success(request, _("You have joined %(tenant)s.") % {"tenant": membership.tenant})
            return redirect("dashboard")
    status = 404 if invitation is None else 200
    return render(
        request, "tenants/invitation.html", {"invitation": invitation, "token": token, "error": error}, status=status
    )


# --- Members ------------------------------------------------------------------------------------


class MembersView(TenantPageMixin, TemplateView):
    template_name = "tenants/members.html"
    permission = Perm.VIEW_MEMBERS

    def get_context_data(self, invite_form=None, **kwargs):
        can_manage = has_perm(self.membership, Perm.MANAGE_MEMBERS)
        context = super().get_context_data(**kwargs)
        context["members"] = Membership.objects.select_related("user").order_by("created_at", "pk")
        context["can_manage"] = can_manage
        if can_manage:
            context["invitations"] = (
                Invitation.objects.filter(status=InvitationStatus.PENDING)
                .select_related("invited_by")
                .order_by("-created_at")
            )
            context["invite_form"] = invite_form or InviteForm(kind=self.tenant.kind, acting_role=self.membership.role)
            context["role_choices"] = (
                InviteForm(kind=self.tenant.kind, acting_role=self.membership.role).fields["role"].choices
            )
        return context

    def post(self, request):
        """Send an invitation."""
        form = InviteForm(request.POST, kind=self.tenant.kind, acting_role=self.membership.role)
        if form.is_valid():
            try:
                invitation_create(tenant=self.tenant, acting_membership=self.membership, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
                return _done(request, "tenants:members")
        template = "tenants/members.html#invite-form" if request.htmx else "tenants/members.html"
        return render(request, template, self.get_context_data(invite_form=form), status=400)


class TenantObjectActionView(TenantPageMixin, View):
    """POST-only action on one object of the active tenant (404 for anyone else's)."""

    success_url_name = "dashboard"

    def dispatch(self, request, *args, **kwargs):
        # Look the object up before the method check, so another tenant's object is a 404 for
        # every method, exactly like a missing one.
        if request.user.is_authenticated and getattr(request, "membership", None) is not None:
            self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk: int):
        obj = self.object
        try:
            self.perform(obj)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return _done(request, self.success_url_name)

    def perform(self, obj) -> None:
        raise NotImplementedError


class MemberRoleView(TenantObjectActionView):
    model = Membership
    permission = Perm.MANAGE_MEMBERS
    success_url_name = "tenants:members"

    def perform(self, obj):
        form = RoleForm(self.request.POST, kind=self.tenant.kind, acting_role=self.membership.role)
        if not form.is_valid():
            raise ValidationError(_("Choose one of the roles offered."))
        member_change_role(membership=obj, role=form.cleaned_data["role"], acting_membership=self.membership)
        messages.success(self.request, _("Role updated."))


class MemberRemoveView(TenantObjectActionView):
    model = Membership
    permission = Perm.VIEW_MEMBERS  # anyone may leave; the service checks removing others
    success_url_name = "tenants:members"

    def perform(self, obj):
        leaving = obj.pk == self.membership.pk
        member_remove(membership=obj, acting_membership=self.membership)
        messages.success(self.request, _("You left the organisation.") if leaving else _("Member removed."))
        if leaving:
            self.request.session.pop(SESSION_KEY, None)
            self.success_url_name = "dashboard"


class InvitationRevokeView(TenantObjectActionView):
    model = Invitation
    permission = Perm.MANAGE_MEMBERS
    success_url_name = "tenants:members"

    def perform(self, obj):
        invitation_revoke(invitation=obj, acting_membership=self.membership)
        messages.success(self.request, _("Invitation withdrawn."))


# --- API keys -----------------------------------------------------------------------------------


class ApiKeysView(TenantPageMixin, TemplateView):
    template_name = "tenants/api_keys.html"
    permission = Perm.MANAGE_API_KEYS

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["keys"] = ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")
        context["form"] = form or ApiKeyForm(kind=self.tenant.kind, acting_role=self.membership.role)
        return context

    def post(self, request):
        form = ApiKeyForm(request.POST, kind=self.tenant.kind, acting_role=self.membership.role)
        if form.is_valid():
            try:
                key, plaintext = api_key_create(acting_membership=self.membership, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                # Shown once, in this response only; never stored in the session or the database.
                context = self.get_context_data(
                    form=ApiKeyForm(kind=self.tenant.kind, acting_role=self.membership.role)
                )
                context |= {"new_key": key, "plaintext": plaintext}
                return render(request, self.template_name, context)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class ApiKeyRevokeView(TenantObjectActionView):
    model = ApiKey
    permission = Perm.MANAGE_API_KEYS
    success_url_name = "tenants:api-keys"

    def perform(self, obj):
        api_key_revoke(api_key=obj, acting_membership=self.membership)
        messages.success(self.request, _("Key “%(name)s” revoked. It no longer works.") % {"name": obj.name})


# --- Organisation profile -----------------------------------------------------------------------


class OrganisationView(TenantPageMixin, TemplateView):
    template_name = "tenants/organisation.html"
    permission = Perm.VIEW_MEMBERS

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = has_perm(self.membership, Perm.MANAGE_ORGANISATION)
        context["form"] = form or OrganisationForm(instance=Tenant.objects.get(pk=self.tenant.pk))
        return context

    def post(self, request):
        if not has_perm(self.membership, Perm.MANAGE_ORGANISATION):
            raise Http404
        form = OrganisationForm(request.POST, instance=Tenant.objects.get(pk=self.tenant.pk))
        if form.is_valid():
            try:
                tenant_update(tenant=self.tenant, acting_membership=self.membership, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Organisation details saved."))
                return _done(request, "tenants:organisation")
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


# --- Operator: every organisation on the platform -----------------------------------------------


class OperatorTenantsView(TenantPageMixin, TemplateView):
    template_name = "tenants/operator_tenants.html"
    permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = Tenant.objects.annotate(member_count=Count("memberships")).order_by("-created_at", "-pk")
        kind = self.request.GET.get("kind", "")
        if kind in TenantKind.values:
            qs = qs.filter(kind=kind)
        verified = self.request.GET.get("verified", "")
        if verified in ("yes", "no"):
            qs = qs.filter(is_verified=verified == "yes")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(name_zh__icontains=q) | qs.filter(name_en__icontains=q) | qs.filter(credit_code__icontains=q)
        context["page"] = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        context["kinds"] = TenantKind.choices
        context["filters"] = {"kind": kind, "verified": verified, "q": q}
        context["form"] = form or OperatorRegisterForm()
        return context

    def post(self, request):
        form = OperatorRegisterForm(request.POST)
        if form.is_valid():
            try:
                tenant_register_by_operator(acting_membership=self.membership, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Organisation registered."))
                return _done(request, "tenants:operator-tenants")
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class OperatorTenantVerifyView(TenantPageMixin, View):
    permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)

    def post(self, request, pk: int):
        tenant = get_object_or_404(Tenant, pk=pk)
        verified = request.POST.get("verified") == "1"
        tenant_set_verified(tenant=tenant, verified=verified, acting_membership=self.membership)
        if request.htmx:
            tenant.is_verified = verified
            return render(request, "tenants/operator_tenants.html#verify-cell", {"t": tenant})
        messages.success(request, _("Saved."))
        return redirect("tenants:operator-tenants")
