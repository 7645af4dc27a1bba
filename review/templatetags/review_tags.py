from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return (mapping or {}).get(key)


@register.filter
def say(value):
    """A stored value (status, state, action) in the page's language; unknown ones as they are."""
    from review.labels import VALUE_LABELS

    return VALUE_LABELS.get(value, value)
