from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.875 -> '87.5%'; None or '' -> '—' (no share: nothing to divide by)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"
