"""Converting questions, groups and repeats, with their columns."""

from __future__ import annotations

import re
from typing import Any

from fieldkit.domain.forms import FieldType, Sensitivity
from fieldkit.i18n import _
from fieldkit.services.xlsform.base import Row
from fieldkit.services.xlsform.choices import ChoiceConversion
from fieldkit.services.xlsform.expressions import ExpressionConversion
from fieldkit.services.xlsform.loops import loop_choices, loop_names, substitute
from fieldkit.services.xlsform.model import CHOICES, SURVEY, short

YES = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "true()", "1"})
NO = frozenset({"no", "No", "NO", "false", "False", "FALSE", "false()", "0"})


class QuestionConversion(ChoiceConversion, ExpressionConversion):
    def convert_children(self, children: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if not isinstance(children, list):
            return result
        for element in children:
            if not isinstance(element, dict):
                continue
            name = element.get("name")
            row = self.rows.get(name) if isinstance(name, str) else None
            if row is None:
                continue  # pyxform's own additions (meta, counts, table-list headers) or a drop
            if row.kind.container == "loop":
                converted = self.convert_loop(element, row, path)
            elif row.kind.role == "begin":
                converted = self.convert_container(element, row, path)
            else:
                converted = self.convert_field(element, row)
            if converted is None:
                continue
            result.append(converted)
            if row.kind.or_other:
                result.append(self.specify_other(row))
        return result

    def base(self, element: dict[str, Any], row: Row, field_type: FieldType) -> dict[str, Any]:
        name = self.fieldkit_name(str(row.name))
        data: dict[str, Any] = {"name": name, "type": field_type.value}
        if name != row.name:
            data["xlsform_name"] = row.name
        label = self.texts(element.get("label"))
        needs_label = field_type not in (FieldType.GROUP, FieldType.REPEAT) and (
            field_type is not FieldType.NOTE or not label
        )
        if needs_label and not label.get(self.default_language):
            label[self.default_language] = name
            self.report(
                row.row,
                SURVEY,
                name,
                _(
                    "the question has no label in the default language '{lang}'; its name is "
                    "used as the label"
                ).format(lang=self.default_language),
            )
        if label:
            data["label"] = label
        hint = self.texts(element.get("hint"))
        if hint:
            data["hint"] = hint
        for text in (*label.values(), *hint.values()):
            if "${" in text:
                self.report(
                    row.row,
                    SURVEY,
                    name,
                    _(
                        "the label or hint shows other answers with ${...}; fieldkit shows it "
                        "as written"
                    ),
                )
                break
        self.field_rows[name] = row.row
        self.field_dicts[name] = data
        return data

    def convert_field(self, element: dict[str, Any], row: Row) -> dict[str, Any] | None:
        kind = row.kind
        field_type = kind.field_type or FieldType.TEXT
        appearance = row.cells.get("appearance", "").split()
        if field_type is FieldType.TEXT and "multiline" in appearance:
            field_type = FieldType.LONG_TEXT
            appearance = [a for a in appearance if a != "multiline"]
        data = self.base(element, row, field_type)
        if kind.acknowledge:
            data["choices"] = self.acknowledge_choices()
            self.report(
                row.row,
                SURVEY,
                row.name,
                _(
                    "the acknowledge check box was not carried over; the field became a "
                    "select_one with the single choice 'OK'"
                ),
            )
        elif field_type is FieldType.SELECT_ONE and subdivision_of(element):
            data["subdivision_of"] = self.fieldkit_name(subdivision_of(element))
        elif field_type in (FieldType.SELECT_ONE, FieldType.SELECT_MULTIPLE):
            data["choices"] = self.choice_list(str(kind.list_name), element, row)
        elif field_type is FieldType.ATTACHMENT:
            data["max_files"] = 1
        self.report_appearance(appearance, row)
        self.convert_bind(element, row, data, field_type)
        if kind.constraint and "constraint" not in data:
            data["constraint"] = kind.constraint
        self.convert_default(element, row, data, field_type)
        self.report_extras(element, row)
        if subdivision_of(element) and "subdivision_of" not in data:
            self.report(
                row.row,
                SURVEY,
                row.name,
                _("subdivision_of applies only to a select_one; it was left out"),
            )
        if field_type is not FieldType.NOTE:
            data["sensitivity"] = Sensitivity.RESTRICTED.value
        return data

    def convert_container(
        self, element: dict[str, Any], row: Row, path: tuple[str, ...]
    ) -> dict[str, Any] | None:
        repeat = row.kind.container == "repeat"
        field_type = FieldType.REPEAT if repeat else FieldType.GROUP
        children = element.get("children") if isinstance(element.get("children"), list) else []
        first = children[0] if children and isinstance(children[0], dict) else {}
        first_name = str(first.get("name", ""))
        if first_name.startswith("generated_table_list_label_") and first_name not in self.rows:
            # pyxform moves a table-list group's label into a note of its own: move it back.
            element = {**element, "label": first.get("label"), "hint": first.get("hint")}
        data = self.base(element, row, field_type)
        appearance = row.cells.get("appearance", "").split()
        self.report_appearance(appearance, row)
        self.convert_bind(element, row, data, field_type)
        if repeat:
            self.repeat_count(row, data)
        if element.get("default") not in (None, ""):
            self.report(
                row.row,
                SURVEY,
                row.name,
                _("a default does not apply to a {type}; it was left out").format(
                    type=field_type.value
                ),
            )
        self.report_extras(element, row)
        name = self.fieldkit_name(str(row.name))
        fields = self.convert_children(children, (*path, name))
        if not fields:
            self.left_out(row, field_type, name)
            return None
        data["fields"] = fields
        return data

    def convert_loop(
        self, element: dict[str, Any], row: Row, path: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """A loop over a choice list, as pyxform expands it: a group holding one group per
        choice, each with a copy of the loop's fields (``%(name)s`` and ``%(label)s`` in their
        texts replaced by the choice's). The copies' names end in the choice's name."""
        data = self.base(element, row, FieldType.GROUP)
        self.report_appearance(row.cells.get("appearance", "").split(), row)
        self.convert_bind(element, row, data, FieldType.GROUP)
        self.report_extras(element, row)
        name, groups = str(data["name"]), []
        children = element.get("children")
        if not isinstance(children, list):
            children = []
        originals = loop_names(children)
        for choice in loop_choices(element.get("columns")):
            code = str(choice["name"])
            self.copy_names = {
                original: self.new_name(f"{self.fieldkit_name(original)}_{code}")
                for original in originals
            }
            try:
                copies = [substitute(child, choice) for child in children]
                fields = self.convert_children(copies, (*path, name, code))
            finally:
                self.copy_names = {}
            if fields:
                groups.append(self.loop_group(f"{name}_{code}", choice, fields))
        if not groups:
            self.left_out(row, FieldType.GROUP, name)
            return None
        data["fields"] = groups
        return data

    def loop_group(
        self, wanted: str, choice: dict[str, Any], fields: list[dict[str, Any]]
    ) -> dict[str, Any]:
        code = str(choice["name"])
        label = self.texts(choice.get("label"), CHOICES)
        if not label.get(self.default_language):
            label[self.default_language] = code
        name = self.new_name(wanted)
        group: dict[str, Any] = {"name": name, "type": "group", "xlsform_name": code}
        group.update(label=label, fields=fields)
        self.field_dicts[name] = group
        return group

    def left_out(self, row: Row, field_type: FieldType, name: str) -> None:
        """Report a group or repeat none of whose fields could be carried over."""
        self.report(
            row.row,
            SURVEY,
            row.name,
            _("the {type} was left out because none of its fields could be carried over").format(
                type=field_type.value
            ),
        )
        self.field_dicts.pop(name, None)
        self.dropped_names.add(name)

    def specify_other(self, row: Row) -> dict[str, Any]:
        select = self.fieldkit_name(str(row.name))
        name = f"{select}_other"
        data: dict[str, Any] = {
            "name": name,
            "type": FieldType.TEXT.value,
            "label": {self.default_language: "Specify other."},
            "relevant": f"selected(${{{select}}}, 'other')",
            "sensitivity": Sensitivity.RESTRICTED.value,
        }
        if select != row.name:
            data["xlsform_name"] = f"{row.name}_other"
        self.field_rows[name] = row.row
        self.field_dicts[name] = data
        self.expressions.append((data, "relevant", row.row))
        return data

    def repeat_count(self, row: Row, data: dict[str, Any]) -> None:
        count = row.cells.get("repeat_count", "").strip()
        if not count:
            return
        if re.fullmatch(r"[0-9]{1,5}", count) and 1 <= int(count) <= 10_000:
            data["min_count"] = int(count)
            data["max_count"] = int(count)
            return
        self.report(
            row.row,
            SURVEY,
            row.name,
            _(
                "repeat_count '{count}' is not a fixed number from 1 to 10000; the number of "
                "entries is left to the user"
            ).format(count=short(count, 60)),
        )

    def report_appearance(self, appearance: list[str], row: Row) -> None:
        if not appearance:
            return
        value = " ".join(appearance)
        self.report(
            row.row,
            SURVEY,
            row.name,
            _("the appearance '{value}' is not supported and was ignored (first seen here)").format(
                value=short(value, 60)
            ),
            once=("appearance", value),
        )

    def convert_bind(
        self, element: dict[str, Any], row: Row, data: dict[str, Any], field_type: FieldType
    ) -> None:
        bind = element.get("bind")
        if not isinstance(bind, dict):
            return
        holds_value = field_type not in (FieldType.NOTE, FieldType.GROUP)
        name = row.name
        relevant = bind.get("relevant")
        if isinstance(relevant, str) and relevant.strip():
            self.expression(data, "relevant", relevant, row)
        required = bind.get("required")
        if isinstance(required, str) and required.strip() and required.strip() not in NO:
            if not holds_value:
                self.not_applicable("required", field_type, row)
            elif required.strip() in YES:
                data["required"] = True
            else:
                self.expression(data, "required", required, row)
        constraint = bind.get("constraint")
        if isinstance(constraint, str) and constraint.strip():
            if not holds_value or field_type is FieldType.REPEAT:
                self.not_applicable("constraint", field_type, row)
            elif self.expression(data, "constraint", constraint, row):
                message = self.texts(bind.get("jr:constraintMsg"))
                if message:
                    data["constraint_message"] = message
        readonly = bind.get("readonly")
        if (
            isinstance(readonly, str)
            and readonly.strip()
            and readonly.strip() not in NO
            and field_type is not FieldType.NOTE
        ):
            self.report(
                row.row,
                SURVEY,
                name,
                _("read_only is not supported; the field can be edited in fieldkit"),
            )
        if bind.get("calculate"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("the calculation was left out; fieldkit does not calculate answers"),
            )
        if bind.get("jr:requiredMsg"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("required_message was left out; fieldkit shows its own message"),
            )
        handled = {
            "relevant",
            "required",
            "constraint",
            "jr:constraintMsg",
            "readonly",
            "calculate",
            "jr:requiredMsg",
            "type",
        }
        for key in bind:
            if key in handled or str(key).startswith(("odk:", "orx:")):
                continue  # odk:/orx: binds come from the parameters column, reported there
            self.report_column(str(key), row)

    def not_applicable(self, attribute: str, field_type: FieldType, row: Row) -> None:
        self.report(
            row.row,
            SURVEY,
            row.name,
            _("{attribute} does not apply to a {type}; it was left out").format(
                attribute=attribute, type=field_type.value
            ),
        )

    def convert_default(
        self, element: dict[str, Any], row: Row, data: dict[str, Any], field_type: FieldType
    ) -> None:
        default = element.get("default")
        if not isinstance(default, str) or not default.strip():
            return
        default = default.strip()
        if field_type in (FieldType.NOTE, FieldType.GROUP, FieldType.REPEAT, FieldType.ATTACHMENT):
            self.not_applicable("default", field_type, row)
            return
        if element.get("_dynamic_default"):  # pyxform's mark of a default that is an expression
            compact = "".join(default.split())
            if compact in ("today()", "now()"):
                data["default"] = "=" + compact
            elif self.expression(data, "default", default, row, prefix="="):
                data["default"] = "=" + default
            return
        if field_type is FieldType.INTEGER and re.fullmatch(r"[-+]?[0-9]{1,15}", default):
            data["default"] = int(default)
        elif field_type is FieldType.DECIMAL and re.fullmatch(
            r"[-+]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)", default
        ):
            number = float(default)
            data["default"] = int(number) if number.is_integer() else number
        elif field_type is FieldType.SELECT_MULTIPLE:
            data["default"] = default.split()
        else:
            data["default"] = default

    def report_extras(self, element: dict[str, Any], row: Row) -> None:
        name = row.name
        if element.get("media"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("images, audio and video in the label are not carried over"),
            )
        if element.get("choice_filter"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("choice_filter was left out; every choice of the list is offered"),
            )
        parameters = element.get("parameters")
        if parameters:
            self.report(
                row.row,
                SURVEY,
                name,
                _("parameters were left out: {parameters}").format(
                    parameters=short(_parameters_text(parameters), 60)
                ),
            )
        if element.get("trigger"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("trigger was left out; fieldkit does not recalculate answers"),
            )
        if element.get("guidance_hint"):
            self.report(row.row, SURVEY, name, _("guidance_hint was left out"))
        control = element.get("control")
        if isinstance(control, dict):
            for key in control:
                if key not in ("appearance", "jr:count", "rows", "bodyless"):
                    self.report_column(str(key), row)
        known = {
            "type",
            "name",
            "label",
            "hint",
            "bind",
            "control",
            "media",
            "default",
            "choice_filter",
            "parameters",
            "trigger",
            "guidance_hint",
            "itemset",
            "list_name",
            "choices",
            "children",
            "actions",
            "_dynamic_default",
            "columns",
            "__row",
            "subdivision_of",
        }
        for key in element:
            if key not in known:
                self.report_column(str(key), row)

    def report_column(self, column: str, row: Row) -> None:
        self.report(
            row.row,
            SURVEY,
            row.name,
            _(
                "the column '{column}' is not supported; its values were ignored (first seen here)"
            ).format(column=short(column, 60)),
            once=("column", column),
        )


def subdivision_of(element: dict[str, Any]) -> str:
    """The ``subdivision_of`` cell of a question (fieldkit's own column: the name of the country
    question whose answer's regions are the choices), or ""."""
    value = element.get("subdivision_of")
    return value.strip() if isinstance(value, str) else ""


def _parameters_text(parameters: Any) -> str:
    if isinstance(parameters, dict):
        return " ".join(f"{k}={v}" for k, v in parameters.items())
    return str(parameters)
