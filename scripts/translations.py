"""Keep fieldkit's translations in step with its code.

    python scripts/translations.py          extract strings, update fr and ar catalogues, compile
    python scripts/translations.py --check  exit 1 if the template is stale or a message lacks a
                                            translation (the test suite runs this)

Strings are every ``_()``, ``N_()`` and ``ngettext()`` in ``src/fieldkit``, and every
``{% trans %}``, ``_()`` and ``ngettext()`` in the workspace's Jinja templates
(``src/fieldkit/hq/web/templates/**.html``). Catalogues live in
``src/fieldkit/locale/<lang>/LC_MESSAGES/fieldkit.po`` next to their compiled ``.mo``.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "fieldkit"
LOCALE = SOURCE / "locale"
TEMPLATE = LOCALE / "fieldkit.pot"
LANGUAGES = ("fr", "ar")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [
    ("**.py", "python"),
    ("hq/web/templates/**.html", "jinja2.ext:babel_extract"),
]
OPTIONS = {"hq/web/templates/**.html": {"trimmed": "true", "silent": "false"}}
"""Templates trim whitespace in ``{% trans %}`` blocks as the workspace's environment does."""
COUNT = "{n}"
"""The placeholder that plural messages give their count in."""


def template() -> Catalog:
    catalog = Catalog(project="fieldkit", version="0.1", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(f"fieldkit/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    return buffer.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "fieldkit.po"


def _load(language: str, fresh: Catalog) -> Catalog:
    path = _po_path(language)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalog.update(fresh, no_fuzzy_matching=True)
        return catalog
    catalog = Catalog(locale=language, project="fieldkit", charset="utf-8")
    catalog.update(fresh, no_fuzzy_matching=True)
    return catalog


def missing(catalog: Catalog) -> list[str]:
    """Messages without a translation, or whose translation drops a placeholder."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        for index, translated in enumerate(strings):
            wanted = _placeholders(ids[-1])
            if index < len(strings) - 1:
                # Languages with a form for zero, one or two (Arabic) may say the number in words.
                wanted -= {COUNT}
            for placeholder in sorted(wanted):
                if placeholder not in translated:
                    problems.append(f"{placeholder} missing from the translation of {ids[0]!r}")
    return problems


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"\{[a-z_]+\}", text))


def _without_date(po: bytes) -> bytes:
    """A template without its ``POT-Creation-Date`` line, which changes at every extraction."""
    return b"".join(
        line for line in po.splitlines(keepends=True) if not line.startswith(b'"POT-Creation-Date:')
    )


def _template_current(fresh: Catalog) -> bool:
    return TEMPLATE.exists() and _without_date(TEMPLATE.read_bytes()) == _without_date(
        _po_bytes(fresh)
    )


def update() -> None:
    fresh = template()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    if not _template_current(fresh):  # rewritten only when a message changed, not for the date
        TEMPLATE.write_bytes(_po_bytes(fresh))
    for language in LANGUAGES:
        catalog = _load(language, fresh)
        path = _po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))
        with path.open("rb") as handle:
            written = read_po(handle, locale=language)
        path.with_suffix(".mo").write_bytes(_mo_bytes(written))
        print(f"{language}: {len(missing(written))} messages need a translation")


def check() -> int:
    fresh = template()
    problems = []
    if not _template_current(fresh):
        problems.append("the template is stale: run 'make translations'")
    for language in LANGUAGES:
        path = _po_path(language)
        if not path.exists():
            problems.append(f"{language}: no catalogue")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        known = {m.id for m in catalog if m.id}
        wanted = {m.id for m in fresh if m.id}
        problems += [
            f"{language}: not in the catalogue: {i!r}" for i in sorted(map(str, wanted - known))
        ]
        problems += [f"{language}: {p}" for p in missing(catalog)]
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            problems.append(f"{language}: the compiled catalogue is stale: run 'make translations'")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        return check()
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
