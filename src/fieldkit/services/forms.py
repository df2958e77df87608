"""Forms: the shipped ones, installing others (YAML, XLSForm, or a form signed by HQ), and finding
a record's form.

A signed form (``.fkf``) is installed only if it verifies against the HQ signing key this device
pinned at enrolment; the vault keeps which HQ key signed it, so the list tells HQ's forms apart
from local ones.

Every installed version is kept whole in the vault, so a record is always read and checked
against the form version it was made with, even after a newer version is installed.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from fieldkit.bundle import (
    PUBLISHED_FORM_SUFFIX,
    PublishedForm,
    max_published_form_bytes,
    read_published_form,
)
from fieldkit.bundle.vocabularies import VocabularyLibrary
from fieldkit.domain.formfile import FormError, load_form
from fieldkit.domain.forms import FormDefinition
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
SIGNED_SUFFIX = PUBLISHED_FORM_SUFFIX


def shipped_forms_dir() -> Path:
    """``fieldkit/shipped_forms`` in an installed wheel, ``forms/`` in a source checkout."""
    return shipped_dir("forms", "shipped_forms")


@functools.cache
def shipped_vocabularies() -> VocabularyLibrary:
    return VocabularyLibrary(shipped_forms_dir() / "vocabularies")


def shipped_form_paths() -> list[Path]:
    """The current version of each shipped form, the ones a new vault installs. Earlier versions
    sit in ``previous/`` (as ``<id>-<version>.yaml``) and are not installed: a vault that
    installed one keeps it, with the records made with it."""
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
                "{name}: not a form file; give a .yaml form, an .xlsx, .xls or .csv XLSForm, "
                "or a .fkf form signed by headquarters."
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
    signed_by: str | None = None
    """The key id of the enrolled HQ, for a signed form."""


def install(
    session: Session, form: FormDefinition, published: PublishedForm | None = None
) -> InstallResult:
    """Add a form version. The same version with other content is refused: raise the version.

    ``published``: the form came signed by the enrolled HQ (already verified); the vault keeps
    the signer, also on a version installed before from a local file with the same content."""
    definition = form_json(form)
    digest = sha256_hex(definition)
    signed_by = None if published is None else published.hq_key_id
    published_at = None if published is None else published.published
    existing = repo.get_form(session, form.id, form.version)
    if existing is not None:
        if existing.sha256 == digest:
            if signed_by is not None and existing.signed_by != signed_by:
                existing.signed_by, existing.published_at = signed_by, published_at
                session.add(existing)
                session.flush()
                audit.append(
                    session,
                    audit.Action.FORM_INSTALLED,
                    form.id,
                    {"version": form.version, "sha256": digest, "signed_by": signed_by},
                )
            return InstallResult(form.id, form.version, installed=False, signed_by=signed_by)
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
            signed_by=signed_by,
            published_at=published_at,
        )
    )
    session.flush()
    details: dict[str, object] = {"version": form.version, "sha256": digest}
    if signed_by is not None:
        details["signed_by"] = signed_by
    audit.append(session, audit.Action.FORM_INSTALLED, form.id, details)
    return InstallResult(form.id, form.version, installed=True, signed_by=signed_by)


def install_shipped(session: Session) -> list[InstallResult]:
    results = []
    for path in shipped_form_paths():
        form = load_form(path.read_bytes(), path.name, shipped_vocabularies().resolve)
        results.append(install(session, form))
    return results


def read_signed_form(vault: Vault, untrusted_path: Path) -> PublishedForm:
    """A signed form file, verified against the HQ signing key pinned at enrolment."""
    from fieldkit.services.datafiles import read_small_file

    with vault.read() as session:
        enrolled = repo.active_enrolment(session)
        pinned = None if enrolled is None else enrolled.signing_public_key
    if pinned is None:
        raise InvalidInputError(
            _(
                "{name}: this device is not enrolled with a headquarters, so it cannot check who "
                "signed the form; nothing was installed. Enrol it first (fieldkit-cli enroll)."
            ).format(name=untrusted_path.name)
        )
    data = read_small_file(untrusted_path, max_published_form_bytes())
    return read_published_form(data, pinned)


def install_file(vault: Vault, untrusted_path: Path) -> InstallResult:
    if untrusted_path.suffix.lower() == SIGNED_SUFFIX:
        published = read_signed_form(vault, untrusted_path)
        with vault.write() as session:
            return install(session, published.definition, published)
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
    signed_by: str | None = None
    """The key id of the HQ that signed the form; None for a form installed from a local file."""
    published_at: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.form_id,
            "version": self.version,
            "title": self.title,
            "installed_at": self.installed_at,
            "current": self.current,
            "fields": self.fields,
            "signed_by": self.signed_by,
            "published_at": self.published_at,
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
                signed_by=row.signed_by,
                published_at=row.published_at,
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
    "read_signed_form",
    "shipped_form_paths",
    "shipped_forms_dir",
    "validate_file",
    "version",
]
