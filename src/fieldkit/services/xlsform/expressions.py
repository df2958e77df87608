"""Converting ODK expressions (relevant, required, constraint, default) to fieldkit's."""

from __future__ import annotations

import re
from typing import Any

from fieldkit.domain import expressions
from fieldkit.domain.forms import NAME_PATTERN, FieldType
from fieldkit.i18n import _
from fieldkit.services.xlsform.base import ConverterBase, Row
from fieldkit.services.xlsform.model import SURVEY, short

_NAME = re.compile(NAME_PATTERN)

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.:-]*)\s*\(")
_STRING_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")


class ExpressionConversion(ConverterBase):
    def expression(
        self, data: dict[str, Any], attribute: str, source: str, row: Row, prefix: str = ""
    ) -> bool:
        """Keep ``source`` as ``data[attribute]`` if fieldkit can read it; report it if not."""
        source = self.fieldkit_references(source.strip())
        problem = _unsupported(source)
        if problem is None:
            try:
                expressions.parse(source)
            except expressions.ExpressionError as exc:
                problem = _("{message} at column {column}").format(
                    message=exc.message, column=exc.column
                )
        if problem is not None:
            self.report_expression(row.row, row.name, attribute, source, problem)
            return False
        data[attribute] = prefix + source
        self.expressions.append((data, attribute, row.row))
        return True

    def report_expression(
        self, row: int | None, name: str | None, attribute: str, source: str, problem: str
    ) -> None:
        self.report(
            row,
            SURVEY,
            name,
            _("the {attribute} '{source}' was left out: {problem}").format(
                attribute=attribute, source=short(source, 60), problem=problem
            ),
        )

    def check_references(self) -> None:
        """Drop expressions that use fields that were left out, or '.' outside a constraint."""
        valueless = {
            name
            for name, data in self.field_dicts.items()
            if data["type"] in (FieldType.NOTE.value, FieldType.GROUP.value)
        }
        for data, attribute, row in self.expressions:
            value = data.get(attribute)
            if not isinstance(value, str) or self.field_dicts.get(data["name"]) is not data:
                continue  # already dropped, or part of a group that was left out
            source = value[1:] if attribute == "default" else value
            expression = expressions.parse(source)
            problem = None
            for ref in sorted(expression.references):
                if ref in self.dropped_names:
                    problem = _("${{{name}}} was left out of the form").format(name=ref)
                elif ref not in self.field_dicts:
                    problem = _("${{{name}}} is not a question of the form").format(name=ref)
                elif ref in valueless:
                    problem = _("${{{name}}} holds no value").format(name=ref)
                if problem:
                    break
            if problem is None and attribute == "default" and expression.references:
                problem = _("a default may use functions such as today(), not other fields")
            if problem is None and expression.uses_current and attribute != "constraint":
                problem = _("'.' (this field's value) may appear only in a constraint")
            if problem is not None:
                del data[attribute]
                if attribute == "constraint":
                    data.pop("constraint_message", None)
                self.report_expression(row, str(data["name"]), attribute, source, problem)


def _unsupported(source: str) -> str | None:
    """Why an ODK expression cannot be used in fieldkit, for what fieldkit's parser would only
    call a syntax error: ODK functions, paths, names that fieldkit cannot have."""
    bare = _STRING_LITERAL.sub("''", source)
    for match in _CALL.finditer(bare):
        function = match.group(1)
        if function in ("and", "or", "div", "mod") or function in expressions.FUNCTION_NAMES:
            continue
        return _("fieldkit has no function {function}()").format(function=function)
    if ".." in bare or "/" in bare:
        return _("paths such as ../name or /data/name are not supported; use ${name}")
    for match in _REFERENCE.finditer(bare):
        if not _NAME.match(match.group(1)):
            return _("${{{name}}} is not a fieldkit name").format(name=short(match.group(1), 40))
    return None
