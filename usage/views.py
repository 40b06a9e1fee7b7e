from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from docuchat.lib import csvsafe
from tenants.access import usage_records
from tenants.http import TenantRequest
from tenants.permissions import can_view_usage
from usage import chart, quotas, reports
from usage.forms import DateRangeForm


def _managers_only(request: TenantRequest) -> None:
    # Statements are billing documents: like every hidden tenant page, a plain member gets 404.
    if not can_view_usage(request.membership):
        raise Http404("No such page.")


@require_GET
def index(request: TenantRequest) -> HttpResponse:
    today = timezone.localdate()
    return _page(request, DateRangeForm(initial={"start": today - timedelta(days=29), "end": today}))


def _page(request: TenantRequest, export_form: DateRangeForm, status: int = 200) -> HttpResponse:
    records = usage_records(request)
    since = timezone.now() - timedelta(days=30)
    context = {
        "totals": reports.totals(records),
        "chart": chart.build(reports.daily(records)),
        "members": reports.per_member(records, since),
        "documents": reports.per_document(records, since),
        "quota": quotas.status(request.tenant),
        "sees_everyone": can_view_usage(request.membership),
        "export_form": export_form,
    }
    return render(request, "usage/index.html", context, status=status)


CSV_HEADER = ["time", "member", "kind", "model", "prompt_tokens", "completion_tokens", "cost_usd", "document"]


@require_GET
def export_csv(request: TenantRequest) -> HttpResponse:
    form = DateRangeForm(request.GET)
    if not form.is_valid():  # the usage page again, saying what is wrong beside the form
        return _page(request, form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = (
        usage_records(request)
        .filter(created__gte=_day_start(start), created__lt=_day_start(end + timedelta(days=1)))
        .order_by("created")
        .values_list(
            "created",
            "user__email",
            "kind",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "cost",
            "document__title",
        )
    )
    response = StreamingHttpResponse(_csv_lines(rows.iterator(chunk_size=2000)), content_type="text/csv")
    name = f"docuchat-usage-{request.tenant.slug}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _csv_lines(rows: Iterator[tuple[object, ...]]) -> Iterator[str]:
    return csvsafe.lines(
        CSV_HEADER,
        ([created.isoformat(), email or "(system)", *rest] for created, email, *rest in rows),
    )


@require_GET
def statements(request: TenantRequest) -> HttpResponse:
    _managers_only(request)
    return render(
        request, "usage/statements.html", {"statements": reports.statements(usage_records(request))}
    )


@require_GET
def statement(request: TenantRequest, month: str) -> HttpResponse:
    _managers_only(request)
    try:
        first = datetime.strptime(month, "%Y-%m").date()
        start, end = _day_start(first), quotas.next_month_start(first)  # 9999-12 has no next month
    except (ValueError, OverflowError):
        raise Http404("No such statement.") from None
    records = usage_records(request).filter(created__gte=start, created__lt=end)
    found = reports.statements(records)
    if not found:
        raise Http404("No usage in that month.")
    return render(request, "usage/statement.html", {"statement": found[0]})
