from __future__ import annotations

import pytest

from tests.bundle.factory import Keys


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def module_keys() -> Keys:
    return Keys()
