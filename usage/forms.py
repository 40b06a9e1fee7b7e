from datetime import date, timedelta

from django import forms
from django.utils import timezone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeForm(forms.Form):
    """The CSV export's range: inclusive dates, at most a year, start not after end."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="From", widget=DATE)
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="To", widget=DATE)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        today = timezone.localdate()
        end: date = data.get("end") or today
        start: date = data.get("start") or end - timedelta(days=29)
        if start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        if (end - start).days > 366:
            raise forms.ValidationError("Export at most one year at a time.")
        data.update(start=start, end=end)
        return data
