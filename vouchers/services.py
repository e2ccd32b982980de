"""Everything that changes a program, an application or a voucher. Pages and the API call these.

Money moves only through the ledger:
- opening a program funds its budget account from the government's funding account;
- issuing a voucher moves its amount from the budget to the voucher's own account (the budget's
  non-negative CHECK and row lock make over-issuing impossible, even under concurrent approvals;
  the program row is locked too, so per-company caps are checked against committed vouchers);
- revoking returns the unspent part to the budget; expiry moves it to the program's breakage;
- spending happens in rating (`vouchers.redemption`).
Every step writes audit rows for the government tenant and, where it concerns them, the company.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from billing.models import AccountKind, TxnKind
from billing.services import ledger
from notifications.services import notify
from tenants.models import Membership
from tenants.roles import Perm, has_perm
from vouchers import eligibility
from vouchers.models import (
    OPEN_APPLICATION_STATES,
    Application,
    ApplicationState,
    Program,
    ProgramStatus,
    Voucher,
    VoucherState,
    company_age_months,
)


class VoucherError(Exception):
    """A request the rules refuse; `message` is for the user, in their language."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def yuan(fen: int) -> str:
    return ledger.format_fen(fen)


# --- Programs -------------------------------------------------------------------------------------


def budget_account(program: Program):
    return ledger.account(AccountKind.PROGRAM_BUDGET, tenant=program.tenant, ref=f"program:{program.pk}")


def breakage_account(program: Program):
    return ledger.account(AccountKind.BREAKAGE, tenant=program.tenant, ref=f"program:{program.pk}")


def open_program(program: Program, actor) -> Program:
    """Draft → open: the budget is funded in the ledger (once) and companies can apply."""
    with transaction.atomic():
        program = Program.unscoped.select_for_update().get(pk=program.pk)
        if program.status != ProgramStatus.DRAFT:
            raise VoucherError(_("Only a draft program can be opened."), "not_draft")
        if program.applications_close_on < timezone.localdate():
            raise VoucherError(_("The application window has already ended; change its dates first."), "window")
        budget = budget_account(program)
        ledger.post(
            kind=TxnKind.VOUCHER,
            key=f"program-fund:{program.pk}",
            legs=[
                (ledger.account(AccountKind.GOVERNMENT_FUNDING, tenant=program.tenant), -program.budget_fen),
                (budget, program.budget_fen),
            ],
            tenant=program.tenant,
            memo=f"budget of program {program.code}",
            actor=actor,
        )
        program.budget_account = budget
        program.breakage_account = breakage_account(program)
        program.status = ProgramStatus.OPEN
        program.opened_at = timezone.now()
        program.save(update_fields=["budget_account", "breakage_account", "status", "opened_at"])
        audit_record(
            action="voucher.program.open",
            tenant=program.tenant,
            actor=actor,
            obj=program,
            after={"budget_fen": program.budget_fen},
        )
    return program


def close_program(program: Program, actor) -> Program:
    """Open → closed: no new applications; pending ones can still be decided, vouchers stay valid."""
    return _move(program, actor, ProgramStatus.OPEN, ProgramStatus.CLOSED, _("Only an open program can be closed."))


def archive_program(program: Program, actor) -> Program:
    if Application.unscoped.filter(program=program, state__in=OPEN_APPLICATION_STATES).exists():
        raise VoucherError(_("Decide the applications still waiting before archiving the program."), "pending")
    return _move(
        program, actor, ProgramStatus.CLOSED, ProgramStatus.ARCHIVED, _("Only a closed program can be archived.")
    )


def _move(program: Program, actor, source: str, target: str, refusal: str) -> Program:
    with transaction.atomic():
        program = Program.unscoped.select_for_update().get(pk=program.pk)
        if program.status != source:
            raise VoucherError(refusal, "state")
        program.status = target
        if target == ProgramStatus.CLOSED:
            program.closed_at = timezone.now()
        program.save(update_fields=["status", "closed_at"])
        audit_record(action=f"voucher.program.{target}", tenant=program.tenant, actor=actor, obj=program)
    return program


def check_draft(program: Program) -> None:
    """Only a draft program can be changed (its rules are fixed once companies may apply)."""
    if program.status != ProgramStatus.DRAFT:
        raise VoucherError(
            _("Only a draft program can be changed; this one is %(status)s.")
            % {"status": program.get_status_display()},
            "not_draft",
        )


def program_change(program: Program, actor, changes: dict) -> Program:
    """Change a draft program's fields (and its `providers`), under the row lock, with the audit row."""
    with transaction.atomic():
        program = Program.unscoped.select_for_update().get(pk=program.pk)
        check_draft(program)
        providers = changes.pop("providers", None)
        for field, value in changes.items():
            setattr(program, field, value)
        program.save()
        if providers is not None:
            program.providers.set(providers)
        audit_record(action="voucher.program.change", tenant=program.tenant, actor=actor, obj=program)
    return program


# --- Applications ---------------------------------------------------------------------------------


def submit_application(
    *,
    program: Program,
    company,
    actor,
    amount_fen: int,
    purpose: str,
    expected_outcome: str,
    affiliates: list[str] | None = None,
    files=(),
) -> Application:
    """A company applies. Every eligibility rule must pass; the amount must fit the program's caps."""
    from vouchers.models import ApplicationAttachment

    results = eligibility.check(program, company)
    failed = eligibility.failures(results)
    if failed:
        raise VoucherError(
            _("Your company cannot apply to this program: %(reasons)s")
            % {"reasons": " ".join(f"{r.label} — {r.detail}" for r in failed)},
            "ineligible",
        )
    if amount_fen <= 0:
        raise VoucherError(_("Enter an amount above zero."), "amount")
    if amount_fen > program.max_per_voucher_fen:
        raise VoucherError(
            _("A voucher of this program is at most ¥%(max)s.") % {"max": yuan(program.max_per_voucher_fen)}, "amount"
        )
    room = company_room(program, company)
    if room is not None and amount_fen > room:
        raise VoucherError(
            _("Your company can receive at most ¥%(room)s more from this program.") % {"room": yuan(room)}, "amount"
        )
    affiliates = sorted({code.strip().upper() for code in affiliates or () if code.strip()})
    provider_codes = set(program.providers.values_list("credit_code", flat=True))
    if provider_codes and provider_codes <= set(affiliates):
        raise VoucherError(
            _("Every provider of this program is affiliated with your company; the program cannot subsidise you."),
            "affiliated",
        )
    with transaction.atomic():
        if Application.unscoped.filter(tenant=company, program=program, state__in=OPEN_APPLICATION_STATES).exists():
            raise VoucherError(_("Your company already has an application waiting in this program."), "duplicate")
        application = Application.unscoped.create(
            tenant=company,
            program=program,
            applicant=actor,
            amount_fen=amount_fen,
            purpose=purpose,
            expected_outcome=expected_outcome,
            affiliates=affiliates,
            eligibility=[r.as_dict() for r in results],
        )
        for upload in files:
            ApplicationAttachment.objects.create(
                application=application, file=upload, name=upload.name[:200], size=upload.size
            )
        audit_record(
            action="voucher.application.submit",
            tenant=company,
            actor=actor,
            obj=application,
            after={"program": program.pk, "amount_fen": amount_fen},
        )
        audit_record(
            action="voucher.application.submit",
            tenant=program.tenant,
            actor=actor,
            obj=application,
            after={"company": company.pk, "amount_fen": amount_fen},
        )
        reviewers = Membership.unscoped.filter(tenant=program.tenant).select_related("user")
        for membership in reviewers:
            if has_perm(membership, Perm.REVIEW_APPLICATIONS):
                notify(
                    recipients=[membership.user],
                    tenant=program.tenant,
                    title=lambda: _("New voucher application from %(company)s") % {"company": company.display_name},
                    body=lambda: _("¥%(amount)s in %(program)s")
                    % {"amount": yuan(amount_fen), "program": program.name},
                    url=reverse("vouchers-gov:queue"),
                )
    return application


def withdraw_application(application: Application, actor) -> Application:
    with transaction.atomic():
        application = Application.unscoped.select_for_update().get(pk=application.pk)
        if not application.is_open:
            raise VoucherError(_("This application has already been decided."), "decided")
        application.state = ApplicationState.WITHDRAWN
        application.decided_at = timezone.now()
        application.save(update_fields=["state", "decided_at"])
        audit_record(action="voucher.application.withdraw", tenant=application.tenant, actor=actor, obj=application)
    return application


def company_room(program: Program, company) -> int | None:
    """How much more the company may be issued in this program (None: no cap)."""
    if program.max_per_company_fen is None:
        return None
    issued = Voucher.unscoped.filter(program=program, tenant=company).aggregate(
        n=Sum(F("amount_fen") - F("returned_fen"), default=0)
    )["n"]
    return max(0, program.max_per_company_fen - issued)


def year_room(program: Program, company, year: int) -> int | None:
    if program.max_per_company_year_fen is None:
        return None
    issued = Voucher.unscoped.filter(program=program, tenant=company, issued_at__year=year).aggregate(
        n=Sum(F("amount_fen") - F("returned_fen"), default=0)
    )["n"]
    return max(0, program.max_per_company_year_fen - issued)


# --- Review ---------------------------------------------------------------------------------------


def can_review(program: Program, user) -> bool:
    membership = Membership.unscoped.filter(tenant=program.tenant, user=user).select_related("tenant").first()
    return has_perm(membership, Perm.REVIEW_APPLICATIONS)


def _check_reviewer(application: Application, program: Program, reviewer) -> None:
    if not can_review(program, reviewer):
        raise VoucherError(_("Only reviewers of the program's office can decide applications."), "forbidden")
    if application.applicant_id == reviewer.pk:
        raise VoucherError(_("You cannot decide an application you submitted yourself."), "self_review")
    if Membership.unscoped.filter(tenant_id=application.tenant_id, user=reviewer).exists():
        raise VoucherError(
            _("You are a member of the applying company, so another reviewer must decide this application."),
            "conflict_of_interest",
        )


def approve(application: Application, reviewer, note: str = "") -> Application:
    """Approve: issue the voucher, or — above the program's four-eyes threshold — record the first
    approval for a second reviewer to confirm. Nobody confirms their own first approval."""
    with transaction.atomic():
        application = Application.unscoped.select_for_update().get(pk=application.pk)
        program = Program.unscoped.select_for_update().get(pk=application.program_id)
        _check_reviewer(application, program, reviewer)
        if program.status not in (ProgramStatus.OPEN, ProgramStatus.CLOSED):
            raise VoucherError(_("The program is archived; nothing more can be issued from it."), "archived")
        now = timezone.now()
        if application.state == ApplicationState.SUBMITTED:
            _check_issuable(application, program, now)
            if application.amount_fen > program.four_eyes_above_fen:
                application.state = ApplicationState.SECOND_REVIEW
                application.first_reviewer = reviewer
                application.first_reviewed_at = now
                application.decision_note = note[:500]
                application.save(update_fields=["state", "first_reviewer", "first_reviewed_at", "decision_note"])
                audit_record(
                    action="voucher.application.first_approval",
                    tenant=program.tenant,
                    actor=reviewer,
                    obj=application,
                    after={"amount_fen": application.amount_fen},
                )
                return application
            application.first_reviewer = reviewer
            application.first_reviewed_at = now
        elif application.state == ApplicationState.SECOND_REVIEW:
            if application.first_reviewer_id == reviewer.pk:
                raise VoucherError(
                    _("You recorded the first approval; a second reviewer must confirm it."), "four_eyes"
                )
            _check_issuable(application, program, now)
            application.second_reviewer = reviewer
        else:
            raise VoucherError(_("This application has already been decided."), "decided")
        if note:
            application.decision_note = note[:500]
        _issue(application, program, reviewer, now)
    return application


def _check_issuable(application: Application, program: Program, now) -> None:
    amount = application.amount_fen
    if amount > program.max_per_voucher_fen:
        raise VoucherError(
            _("A voucher of this program is at most ¥%(max)s.") % {"max": yuan(program.max_per_voucher_fen)}, "cap"
        )
    company = application.tenant
    room = company_room(program, company)
    if room is not None and amount > room:
        raise VoucherError(
            _("This would exceed the program's cap per company: ¥%(room)s is left for %(company)s.")
            % {"room": yuan(room), "company": company.display_name},
            "cap",
        )
    room = year_room(program, company, timezone.localtime(now).year)
    if room is not None and amount > room:
        raise VoucherError(
            _("This would exceed the program's yearly cap per company: ¥%(room)s is left for %(company)s this year.")
            % {"room": yuan(room), "company": company.display_name},
            "cap",
        )
    left = ledger.Account.objects.get(pk=program.budget_account_id).balance_fen
    if amount > left:
        raise VoucherError(
            _("The program's budget has ¥%(left)s left; this voucher needs ¥%(amount)s.")
            % {"left": yuan(left), "amount": yuan(amount)},
            "budget",
        )


def _issue(application: Application, program: Program, reviewer, now) -> Voucher:
    company = application.tenant
    number = Voucher.unscoped.filter(program=program).count() + 1  # the program row is locked
    code = f"{program.code.upper()}-{number:06d}"
    account = ledger.account(AccountKind.VOUCHER, tenant=company, ref=code)
    try:
        ledger.post(
            kind=TxnKind.VOUCHER,
            key=f"voucher-issue:{application.pk}",
            legs=[(program.budget_account_id, -application.amount_fen), (account, application.amount_fen)],
            tenant=program.tenant,
            memo=f"voucher {code} for {company.credit_code}",
            actor=reviewer,
        )
    except ledger.InsufficientFunds as short:
        raise VoucherError(
            _("The program's budget is short by ¥%(short)s for this voucher.") % {"short": yuan(short.shortfall_fen)},
            "budget",
        ) from short
    months = company_age_months(company.founded_on, timezone.localdate())
    voucher = Voucher.unscoped.create(
        tenant=company,
        program=program,
        application=application,
        code=code,
        amount_fen=application.amount_fen,
        startup=bool(program.startup_ratio_bp) and months is not None and months < program.startup_max_age_months,
        valid_from=now,
        valid_until=now + timedelta(days=program.voucher_valid_days),
        account=account,
        issued_by=reviewer,
        issued_at=now,
    )
    application.state = ApplicationState.ISSUED
    application.decided_at = now
    application.save(
        update_fields=["state", "first_reviewer", "first_reviewed_at", "second_reviewer", "decided_at", "decision_note"]
    )
    after = {"voucher": code, "amount_fen": voucher.amount_fen, "valid_until": voucher.valid_until.isoformat()}
    audit_record(action="voucher.issue", tenant=program.tenant, actor=reviewer, obj=voucher, after=after)
    audit_record(action="voucher.issue", tenant=company, actor=reviewer, obj=voucher, after=after)
    _tell_company(
        application,
        lambda: _("Voucher %(code)s of ¥%(amount)s issued") % {"code": code, "amount": yuan(voucher.amount_fen)},
        lambda: _("%(program)s pays part of your qualifying usage until %(date)s.")
        % {"program": program.name, "date": timezone.localtime(voucher.valid_until).date().isoformat()},
    )
    return voucher


def reject(application: Application, reviewer, note: str) -> Application:
    note = (note or "").strip()
    if not note:
        raise VoucherError(_("Give the company a reason for the rejection."), "reason")
    with transaction.atomic():
        application = Application.unscoped.select_for_update().get(pk=application.pk)
        program = application.program
        _check_reviewer(application, program, reviewer)
        if not application.is_open:
            raise VoucherError(_("This application has already been decided."), "decided")
        application.state = ApplicationState.REJECTED
        application.decided_at = timezone.now()
        application.decision_note = note[:500]
        if application.first_reviewer_id is None:
            application.first_reviewer = reviewer
            application.first_reviewed_at = application.decided_at
        else:
            application.second_reviewer = reviewer
        application.save()
        for tenant in (program.tenant, application.tenant):
            audit_record(
                action="voucher.application.reject",
                tenant=tenant,
                actor=reviewer,
                obj=application,
                after={"reason": note[:500]},
            )
        _tell_company(
            application,
            lambda: _("Your voucher application to %(program)s was rejected") % {"program": program.name},
            note,
        )
    return application


def _tell_company(application: Application, title, body) -> None:
    if application.applicant is None:
        return
    notify(
        recipients=[application.applicant],
        tenant=application.tenant,
        title=title,
        body=body,
        url=reverse("vouchers:list"),
    )


# --- Vouchers -------------------------------------------------------------------------------------


def revoke(voucher: Voucher, actor, reason: str) -> Voucher:
    """End a voucher now; what it has left goes back to the program's budget."""
    reason = (reason or "").strip()
    if not reason:
        raise VoucherError(_("Say why the voucher is revoked (the company will see it)."), "reason")
    with transaction.atomic():
        voucher = Voucher.unscoped.select_for_update().select_related("program").get(pk=voucher.pk)
        if voucher.state != VoucherState.ACTIVE:
            raise VoucherError(_("This voucher is no longer active."), "inactive")
        left = ledger.lock([voucher.account_id])[voucher.account_id]
        if left:
            ledger.post(
                kind=TxnKind.VOUCHER,
                key=f"voucher-revoke:{voucher.pk}",
                legs=[(voucher.account_id, -left), (voucher.program.budget_account_id, left)],
                tenant=voucher.program.tenant,
                memo=f"voucher {voucher.code} revoked",
                actor=actor,
            )
        voucher.state = VoucherState.REVOKED
        voucher.ended_at = timezone.now()
        voucher.ended_by = actor
        voucher.end_reason = reason[:500]
        voucher.returned_fen = left
        voucher.save(update_fields=["state", "ended_at", "ended_by", "end_reason", "returned_fen"])
        for tenant in (voucher.program.tenant, voucher.tenant):
            audit_record(
                action="voucher.revoke",
                tenant=tenant,
                actor=actor,
                obj=voucher,
                after={"returned_fen": left, "reason": reason[:500]},
            )
        _tell_company(
            voucher.application,
            lambda: _("Voucher %(code)s was revoked") % {"code": voucher.code},
            reason,
        )
    return voucher


def expire_due(now=None) -> int:
    """Expire every active voucher past its validity: what is left moves to the program's breakage."""
    now = now or timezone.now()
    due = list(Voucher.unscoped.filter(state=VoucherState.ACTIVE, valid_until__lte=now).values_list("pk", flat=True))
    done = 0
    for pk in due:
        with transaction.atomic():
            voucher = Voucher.unscoped.select_for_update().select_related("program").get(pk=pk)
            if voucher.state != VoucherState.ACTIVE:
                continue
            left = ledger.lock([voucher.account_id])[voucher.account_id]
            if left:
                ledger.post(
                    kind=TxnKind.VOUCHER,
                    key=f"voucher-expire:{voucher.pk}",
                    legs=[(voucher.account_id, -left), (voucher.program.breakage_account_id, left)],
                    tenant=voucher.program.tenant,
                    memo=f"voucher {voucher.code} expired",
                )
            voucher.state = VoucherState.EXPIRED
            voucher.ended_at = now
            voucher.expired_fen = left
            voucher.save(update_fields=["state", "ended_at", "expired_fen"])
            for tenant in (voucher.program.tenant, voucher.tenant):
                audit_record(action="voucher.expire", tenant=tenant, obj=voucher, after={"expired_fen": left})
            done += 1
    return done
