"""The demo's voucher data: loads on top of the demo accounts, twice without change, and leaves the
reviewers work to do and the demo company a voucher to spend."""

from django.core.management import call_command

from vouchers import reports
from vouchers.models import Application, ApplicationState, Program, ProgramStatus, Voucher


def test_seed_vouchers_is_repeatable_and_reconciled(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_vouchers", stdout=open("/dev/null", "w"))
    call_command("seed_vouchers", stdout=open("/dev/null", "w"))
    program = Program.unscoped.get(code="CD-AI-2026")
    assert program.status == ProgramStatus.OPEN
    assert Program.unscoped.get(code="CD-EAI-2027").status == ProgramStatus.DRAFT
    assert Application.unscoped.filter(program=program).count() == 9
    assert Application.unscoped.filter(program=program, state__in=["submitted", "second_review"]).count() >= 3
    assert Voucher.unscoped.filter(tenant__name_en="Chengdu Lotus Tea Co., Ltd.", state="active").count() == 1
    assert Voucher.unscoped.filter(application__state=ApplicationState.ISSUED).count() == 4
    assert reports.figures(program).reconciled
