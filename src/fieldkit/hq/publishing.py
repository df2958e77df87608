"""Publishing forms: HQ signs a form definition so that its enrolled devices can install it.

HQ reads fieldkit YAML forms only. An XLSForm is converted on a device first
(``fieldkit-cli forms import-xlsform``): the converter reads untrusted spreadsheets with pyxform
and lives with the device's services, and the YAML it writes marks every field ``restricted`` for
a person to review; HQ signs what that person reviewed. A form's vocabularies are resolved here
(from the ``vocabularies`` folder beside the form, or the one given), so the signed file carries
every choice and a device needs nothing else to install it.

Published files live in the HQ folder (``forms/<id>-<version>.fkf``), not in the repository: a
file is what travels to devices, and what ``forms list`` reads back and verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fieldkit.bundle import (
    PUBLISHED_FORM_SUFFIX,
    BundleError,
    PublishedForm,
    make_published_form,
    max_published_form_bytes,
    published_form_file_name,
    read_published_form,
)
from fieldkit.bundle.vocabularies import VocabularyLibrary
from fieldkit.console import read_small_file
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.formfile import MAX_FORM_BYTES, load_form
from fieldkit.files import atomic_write_bytes, make_private_dir
from fieldkit.hq.errors import ConflictError, InvalidInputError
from fieldkit.hq.paths import HqPaths
from fieldkit.i18n import _

FORM_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
XLSFORM_SUFFIXES = frozenset({".xlsx", ".xls", ".csv"})


@dataclass(frozen=True)
class Publication:
    path: Path
    form: PublishedForm
    new: bool
    """False when this exact form was published already (the file is left as it was)."""


@dataclass(frozen=True)
class PublishedFile:
    path: Path
    form: PublishedForm | None
    problem: str | None = None
    """Why the file does not verify with HQ's own key (then ``form`` is None)."""


def publish(
    paths: HqPaths,
    signing_key: SigningKey,
    untrusted_path: Path,
    *,
    vocabularies: Path | None = None,
) -> Publication:
    """Read, check and sign the form at ``untrusted_path``; write ``forms/<id>-<version>.fkf``.

    The same id and version published before with other content is refused: devices refuse it
    too (a form version never changes), so the form needs a new version."""
    suffix = untrusted_path.suffix.lower()
    if suffix in XLSFORM_SUFFIXES:
        raise InvalidInputError(
            _(
                "{name}: headquarters publishes fieldkit YAML forms; convert the XLSForm first "
                "with 'fieldkit-cli forms import-xlsform {name} --out FORM.yaml', review it, "
                "then publish the YAML."
            ).format(name=untrusted_path.name)
        )
    if suffix not in FORM_SUFFIXES:
        raise InvalidInputError(
            _("{name}: not a form file; give a fieldkit form (.yaml).").format(
                name=untrusted_path.name
            )
        )
    folder = vocabularies if vocabularies is not None else untrusted_path.parent / "vocabularies"
    if vocabularies is not None and not vocabularies.is_dir():
        raise InvalidInputError(_("{path}: not a folder.").format(path=vocabularies))
    library = VocabularyLibrary(folder)
    data = read_small_file(untrusted_path, MAX_FORM_BYTES)
    form = load_form(data, untrusted_path.name, library.resolve)
    signed = make_published_form(hq_key=signing_key, form=form)
    published = read_published_form(signed, signing_key.public.public_key)
    destination = paths.forms / published_form_file_name(form)
    if destination.exists():
        earlier = read_file(destination, signing_key.public.public_key)
        if earlier.form is not None and earlier.form.sha256 == published.sha256:
            return Publication(destination, earlier.form, new=False)
        raise ConflictError(
            _(
                "Form '{id}' version {version} was published already with different content; "
                "give the changed form a new version."
            ).format(id=form.id, version=form.version)
        )
    make_private_dir(paths.forms)
    atomic_write_bytes(destination, signed, mode=0o644)
    return Publication(destination, published, new=True)


def read_file(path: Path, signing_public_key: bytes) -> PublishedFile:
    try:
        data = read_small_file(path, max_published_form_bytes())
        return PublishedFile(path, read_published_form(data, signing_public_key))
    except (BundleError, InvalidInputError) as error:
        return PublishedFile(path, None, str(error))


def published(paths: HqPaths, signing_public_key: bytes) -> list[PublishedFile]:
    """Every signed form in ``forms/``, checked against HQ's own key, by file name."""
    return [read_file(path, signing_public_key) for path in published_paths(paths)]


def published_paths(paths: HqPaths) -> list[Path]:
    """The form files in ``forms/`` (not checked yet), by file name."""
    if not paths.forms.is_dir():
        return []
    return sorted(paths.forms.glob("*" + PUBLISHED_FORM_SUFFIX))
