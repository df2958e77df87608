"""The composition root of the desktop app: the one place that wires the program together."""

from __future__ import annotations

import os
import sys

from fieldkit.i18n import _, set_language


def main() -> int:
    os.umask(0o077)
    set_language()
    print(
        _("The fieldkit desktop app is not available in this version; use fieldkit-cli."),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
