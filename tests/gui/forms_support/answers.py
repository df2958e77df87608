"""Expected answers as the editor stores them."""

from __future__ import annotations

from typing import Any

from fieldkit.domain.forms import FieldType, FormDefinition


def in_form_order(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each multiple choice in the order of the form's choice list (the editor
    stores ticked choices in that order, whatever the order of ticking)."""
    result: dict[str, Any] = {}
    for name, value in data.items():
        field = form.field(name)
        if field.type is FieldType.REPEAT and isinstance(value, list):
            result[name] = [in_form_order(form, item) for item in value]
        elif field.type is FieldType.SELECT_MULTIPLE and isinstance(value, list):
            choice_list = form.choice_list_for(field)
            order = [choice_list.stored_code(choice.code) for choice in choice_list.choices]
            result[name] = sorted(value, key=order.index)
        else:
            result[name] = value
    return result
