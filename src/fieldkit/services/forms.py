"""Forms: the shipped ones, installing others (YAML or XLSForm), and finding a record's form.

Every installed version is kept whole in the vault, so a record is always read and checked
against the form version it was made with, even after a newer version is installed.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from fieldkit.domain.formfile import FormError, load_form, load_vocabulary
from fieldkit.domain.forms import ChoiceList, FormDefinition
from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    did_you_mean,
    reading_file,
)
from fieldkit.i18n import _
from fieldkit.services.locations import shipped_dir
from fieldkit.vault import audit, repo
from fieldkit.vault.models import FormRow
from fieldkit.vault.store import Vault

MAX_FORM_FILE_BYTES = 20 * 1024 * 1024
XLSFORM_SUFFIXES = frozenset({".xlsx", ".xls", ".csv"})
YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json"})


def shipped_forms_dir() -> Path:
    """``fieldkit/shipped_forms`` in an installed wheel, ``forms/`` in a source checkout."""
    return shipped_dir("forms", "shipped_forms")


class VocabularyLibrary:
    """Controlled vocabularies read from a folder of data files, each read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, ChoiceList] | None = None

    def _load(self) -> dict[str, ChoiceList]:
        if self._cache is None:
            found: dict[str, ChoiceList] = {}
            for path in sorted(self.folder.glob("*.yaml")):
                vocabulary = load_vocabulary(path.read_bytes(), str(path.name))
                found[vocabulary.name] = vocabulary
            self._cache = found
        return self._cache

    def resolve(self, name: str, version: str | None) -> ChoiceList | None:
        vocabulary = self._load().get(name)
        if vocabulary is None or (version is not None and vocabulary.version != version):
            return None
        return vocabulary

    def names(self) -> list[str]:
        return sorted(self._load())


@functools.cache
def shipped_vocabularies() -> VocabularyLibrary:
    return VocabularyLibrary(shipped_forms_dir() / "vocabularies")


def shipped_form_paths() -> list[Path]:
    return sorted(shipped_forms_dir().glob("*.yaml"))


def read_form_file(untrusted_path: Path) -> FormDefinition:
    """A form from a fieldkit YAML file or an XLSForm (by its suffix), fully checked."""
    return read_form_file_reporting(untrusted_path)[0]


def read_form_file_reporting(untrusted_path: Path) -> tuple[FormDefinition, list[str]]:
    """A form and, for an XLSForm, a description of each thing that was not carried over."""
    suffix = untrusted_path.suffix.lower()
    if suffix in XLSFORM_SUFFIXES:
        from fieldkit.services.xlsform import convert_xlsform

        conversion = convert_xlsform(untrusted_path, vocabularies=shipped_vocabularies().resolve)
        return conversion.form, [item.describe() for item in conversion.dropped]
    if suffix not in YAML_SUFFIXES:
        raise InvalidInputError(
            _(
                "{name}: not a form file; give a .yaml form or an .xlsx, .xls or .csv XLSForm."
            ).format(name=untrusted_path.name)
        )
    with reading_file(untrusted_path):
        size = untrusted_path.stat().st_size
        if size > MAX_FORM_FILE_BYTES:
            raise InvalidInputError(
                _("{name}: the file is too large for a form.").format(name=untrusted_path.name)
            )
        data = untrusted_path.read_bytes()
    return load_form(data, untrusted_path.name, shipped_vocabularies().resolve), []


def form_json(form: FormDefinition) -> bytes:
    return canonical_json(form.model_dump(mode="json"))


_parsed: dict[tuple[str, str, str], FormDefinition] = {}
"""Parsed forms by (id, version, SHA-256). A form version never changes once installed, and the
hash is part of the key, so an entry can never be stale."""


def _cached(session: Session, form_id: str, form_version: str, digest: str) -> FormDefinition:
    key = (form_id, form_version, digest)
    form = _parsed.get(key)
    if form is None:
        definition = session.exec(
            select(FormRow.definition).where(
                FormRow.form_id == form_id, FormRow.version == form_version
            )
        ).one()
        form = FormDefinition.model_validate_json(definition)
        if len(_parsed) >= 64:
            _parsed.clear()
        _parsed[key] = form
    return form


def version_by_digest(
    session: Session, form_id: str, form_version: str, digest: str
) -> FormDefinition:
    """A form version whose SHA-256 the caller has just read (with the record that uses it):
    from the cache, else read from the vault once."""
    return _cached(session, form_id, form_version, digest)


def form_from_row(row: FormRow) -> FormDefinition:
    key = (row.form_id, row.version, row.sha256)
    form = _parsed.get(key)
    if form is None:
        form = FormDefinition.model_validate_json(row.definition)
        _parsed[key] = form
    return form


@dataclass(frozen=True)
class InstallResult:
    form_id: str
    version: str
    installed: bool  # False when this exact form was installed already
    not_carried_over: tuple[str, ...] = ()


def install(session: Session, form: FormDefinition) -> InstallResult:
    """Add a form version. The same version with other content is refused: raise the version."""
    definition = form_json(form)
    digest = sha256_hex(definition)
    existing = repo.get_form(session, form.id, form.version)
    if existing is not None:
        if existing.sha256 == digest:
            return InstallResult(form.id, form.version, installed=False)
        raise ConflictError(
            _(
                "Form '{id}' version {version} is already installed with different content; "
                "give the changed form a new version."
            ).format(id=form.id, version=form.version)
        )
    session.add(
        FormRow(
            form_id=form.id,
            version=form.version,
            definition=definition.decode(),
            sha256=digest,
            installed_at=utc_timestamp(),
        )
    )
    session.flush()
    audit.append(
        session, audit.Action.FORM_INSTALLED, form.id, {"version": form.version, "sha256": digest}
    )
    return InstallResult(form.id, form.version, installed=True)


def install_shipped(session: Session) -> list[InstallResult]:
    results = []
    for path in shipped_form_paths():
        form = load_form(path.read_bytes(), path.name, shipped_vocabularies().resolve)
        results.append(install(session, form))
    return results


def install_file(vault: Vault, untrusted_path: Path) -> InstallResult:
    form, dropped = read_form_file_reporting(untrusted_path)
    with vault.write() as session:
        result = install(session, form)
    return dataclasses.replace(result, not_carried_over=tuple(dropped))


def current(session: Session, form_id: str) -> FormDefinition:
    """The version of a form offered for new records: the newest active one installed."""
    found = repo.current_form_version(session, form_id)
    if found is None:
        installed = {row.form_id for row in repo.all_forms(session)}
        raise NotFoundError(
            _("No form '{id}' in this vault.").format(id=form_id)
            + did_you_mean(form_id, installed)
            + " "
            + _("See 'fieldkit-cli forms list'.")
        )
    return _cached(session, form_id, found[0], found[1])


def version(session: Session, form_id: str, form_version: str) -> FormDefinition:
    digest = (
        session.connection()
        .execute(
            select(FormRow.sha256).where(
                FormRow.form_id == form_id, FormRow.version == form_version
            )
        )
        .scalar()
    )
    if digest is None:
        raise NotFoundError(
            _("Form '{id}' version {version} is not in this vault.").format(
                id=form_id, version=form_version
            )
        )
    return _cached(session, form_id, form_version, digest)


@dataclass(frozen=True)
class FormSummary:
    form_id: str
    version: str
    title: str
    installed_at: str
    current: bool
    fields: int

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.form_id,
            "version": self.version,
            "title": self.title,
            "installed_at": self.installed_at,
            "current": self.current,
            "fields": self.fields,
        }


def list_installed(vault: Vault, language: str) -> list[FormSummary]:
    with vault.read() as session:
        rows = repo.all_forms(session)
        currents = {
            form_id: repo.current_form_version(session, form_id)
            for form_id in {r.form_id for r in rows}
        }
    summaries = []
    for row in rows:
        form = form_from_row(row)
        head = currents.get(row.form_id)
        summaries.append(
            FormSummary(
                form_id=row.form_id,
                version=row.version,
                title=form.localized_title(language),
                installed_at=row.installed_at,
                current=head is not None and head[0] == row.version,
                fields=sum(1 for _ in form.walk()),
            )
        )
    return summaries


def validate_file(untrusted_path: Path) -> tuple[FormDefinition, list[str]]:
    """Check a form file without installing it; FormError lists every problem."""
    return read_form_file_reporting(untrusted_path)


__all__ = [
    "FormError",
    "FormSummary",
    "InstallResult",
    "VocabularyLibrary",
    "current",
    "install",
    "install_file",
    "install_shipped",
    "list_installed",
    "read_form_file",
    "read_form_file_reporting",
    "shipped_form_paths",
    "shipped_forms_dir",
    "validate_file",
    "version",
]
