"""Loaded at start-up by every Python program the test suite starts (tests/conftest.py puts this
folder on ``PYTHONPATH``): the cheap key derivation of the tests, set inside the process.

fieldkit honours no environment variable for this; only code run inside the process lowers the
cost, and a program started outside the test suite never runs this file.
"""

from __future__ import annotations

from fieldkit.vault import keyfile

keyfile.TEST_PARAMS = keyfile.KdfParams(memory_kib=keyfile.FLOOR_MEMORY_KIB, iterations=1, lanes=1)
