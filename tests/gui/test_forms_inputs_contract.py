"""Every answer input defines how it reads and shows a value: one that does not is refused when
its class is made, not when a user opens a form."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.gui.forms import inputs
from fieldkit.gui.forms.fields_base import FieldInput


def test_an_input_without_set_value_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="Half must define set_value"):

        class Half(FieldInput):
            def raw_value(self) -> Any:
                return None


def test_an_input_inheriting_the_base_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="Bare must define raw_value, set_value"):

        class Bare(FieldInput):
            pass


def test_every_shipped_input_defines_both() -> None:
    shipped = set(inputs._INPUTS.values())
    assert len(shipped) == 9
    for cls in shipped:
        assert {"raw_value", "set_value"} <= set(vars(cls)), cls.__name__
