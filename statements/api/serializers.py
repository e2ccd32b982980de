"""Shapes of the spending and statement API. Amounts are integer fen (¥1 = 100 fen)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from statements.selectors import CHART_DAYS
from statements.services import BUDGET_MAX_FEN


class StatementUsageSerializer(serializers.Serializer):
    card_seconds = serializers.IntegerField()
    card_hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_fen = serializers.IntegerField(help_text=_("What the usage cost."))
    voucher_fen = serializers.IntegerField(help_text=_("Of which paid by vouchers."))
    paid_fen = serializers.IntegerField(help_text=_("Of which paid from the balance (held funds or wallet)."))
    unpaid_fen = serializers.IntegerField(help_text=_("Of which not covered by any funds."))


class StatementJobLineSerializer(serializers.Serializer):
    job = serializers.IntegerField(source="job_id")
    job_name = serializers.CharField()
    template = serializers.CharField()
    pool = serializers.CharField()
    usage = StatementUsageSerializer()


class StatementSubtotalSerializer(serializers.Serializer):
    name = serializers.CharField()
    jobs = serializers.IntegerField()
    usage = StatementUsageSerializer()


class StatementTopUpSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    amount_fen = serializers.IntegerField()
    reference = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM, in China Standard Time."))
    complete = serializers.BooleanField(source="is_complete", help_text=_("False while the month is in progress."))
    opening_fen = serializers.IntegerField(help_text=_("Balance at the start, held funds included."))
    opening_held_fen = serializers.IntegerField()
    topups_fen = serializers.IntegerField()
    topups = StatementTopUpSerializer(many=True)
    usage = StatementUsageSerializer()
    lines = StatementJobLineSerializer(many=True)
    by_pool = StatementSubtotalSerializer(many=True)
    by_template = StatementSubtotalSerializer(many=True)
    other_fen = serializers.IntegerField(help_text=_("Reversals and adjustments on the balance."))
    closing_fen = serializers.IntegerField(help_text=_("Balance at the end (so far, while in progress)."))
    closing_held_fen = serializers.IntegerField()
    reconciles = serializers.BooleanField(
        help_text=_("opening + top-ups − usage paid + other = closing, and the charges match the ledger.")
    )


class SpendSeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key")
    name = serializers.CharField()
    spend_fen = serializers.ListField(child=serializers.IntegerField(), source="values")
    total_fen = serializers.IntegerField()


class SpendChartSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.DateField())
    total_fen = serializers.ListField(child=serializers.IntegerField(), source="totals")
    by_pool = SpendSeriesSerializer(many=True)
    by_template = SpendSeriesSerializer(many=True)


class SpendingSummarySerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM."))
    balance_fen = serializers.IntegerField(source="funds.balance_fen", help_text=_("Available + held."))
    available_fen = serializers.IntegerField(source="funds.available_fen")
    held_fen = serializers.IntegerField(source="funds.held_fen", help_text=_("Held for running jobs."))
    vouchers_fen = serializers.IntegerField(source="funds.vouchers_fen", help_text=_("Vouchers left."))
    month_spend_fen = serializers.IntegerField(help_text=_("This month's usage after vouchers."))
    budget_fen = serializers.IntegerField(allow_null=True)
    budget_percent = serializers.IntegerField(allow_null=True)


class SpendingSummaryResponseSerializer(serializers.Serializer):
    summary = SpendingSummarySerializer()
    daily = SpendChartSerializer()
    statements = serializers.ListField(
        child=serializers.CharField(), help_text=_("Months with a statement, newest first.")
    )


class SpendingQuerySerializer(serializers.Serializer):
    days = serializers.ChoiceField(choices=CHART_DAYS, default=CHART_DAYS[0])


class MonthlyBudgetSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField(source="budget_fen", allow_null=True, help_text=_("None: no budget."))
    month = serializers.CharField(help_text=_("YYYY-MM."))
    month_spend_fen = serializers.IntegerField()
    percent = serializers.IntegerField(source="budget_percent", allow_null=True)


class MonthlyBudgetInputSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField(min_value=1, max_value=BUDGET_MAX_FEN)
