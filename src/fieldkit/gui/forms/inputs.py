"""Which input edits which field type."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from fieldkit.domain.forms import FieldDef, FieldType
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_attachment import AttachmentInput
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.gui.forms.fields_date import DateInput
from fieldkit.gui.forms.fields_datetime import DateTimeInput
from fieldkit.gui.forms.fields_geo import GeopointInput
from fieldkit.gui.forms.fields_multi import SelectMultipleInput
from fieldkit.gui.forms.fields_number import NumberInput
from fieldkit.gui.forms.fields_subdivision import SubdivisionInput
from fieldkit.gui.forms.fields_text import LongTextInput, TextInput

_INPUTS: dict[FieldType, type[FieldInput]] = {
    FieldType.TEXT: TextInput,
    FieldType.LONG_TEXT: LongTextInput,
    FieldType.INTEGER: NumberInput,
    FieldType.DECIMAL: NumberInput,
    FieldType.DATE: DateInput,
    FieldType.DATETIME: DateTimeInput,
    FieldType.SELECT_ONE: SelectOneInput,
    FieldType.SELECT_MULTIPLE: SelectMultipleInput,
    FieldType.GEOPOINT: GeopointInput,
    FieldType.ATTACHMENT: AttachmentInput,
}


def make_input(ctx: RenderContext, field: FieldDef, parent: QWidget | None = None) -> FieldInput:
    if field.subdivision_of is not None:
        return SubdivisionInput(ctx, field, parent)
    return _INPUTS[field.type](ctx, field, parent)
