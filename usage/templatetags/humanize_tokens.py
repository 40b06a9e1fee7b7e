from django import template

register = template.Library()


@register.filter
def tokens(value: int | None) -> str:
    """1234567 -> '1,234,567' (thousands separators, no locale surprises)."""
    return f"{int(value or 0):,}"
