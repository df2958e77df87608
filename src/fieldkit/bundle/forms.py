"""Form definitions inside a bundle: the forms its revisions were filled in with.

HQ needs each form (labels, sensitivity labels, field types) to split identifying answers from
the rest and to export records. A bundle carries, after its revisions, one FORM frame for each
form its revisions name: the form's canonical JSON (RFC 8785 of ``model_dump(mode="json")``),
exactly as the device's vault stores it. The manifest lists each with its id, version, SHA-256
and size, sorted by (id, version).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from fieldkit.bundle import schema
from fieldkit.bundle.limits import Limits
from fieldkit.bundle.manifest import FormEntry
from fieldkit.bundle.schema import SchemaError
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import canonical_json, sha256_hex
from fieldkit.i18n import _


@dataclass(frozen=True)
class VerifiedForm:
    """A form definition from a bundle, checked against the manifest and parsed."""

    form_id: str
    version: str
    sha256: str
    content: bytes
    """The canonical JSON exactly as the bundle carried it."""
    definition: FormDefinition

    @property
    def key(self) -> tuple[str, str]:
        return (self.form_id, self.version)


def form_bytes(form: FormDefinition) -> bytes:
    """The encoding a bundle carries (and a vault stores) for ``form``."""
    return canonical_json(form.model_dump(mode="json"))


def check_form(content: bytes, entry: FormEntry, limits: Limits) -> VerifiedForm:
    """Check a FORM payload against its manifest entry and parse it. Raises SchemaError.

    The bytes must hash to the entry, be strict canonical JSON, parse as a form definition whose
    id and version are the entry's, and be exactly the encoding of what they parse to (one form
    has one encoding).
    """
    if len(content) != entry.size or sha256_hex(content) != entry.sha256:
        raise SchemaError(_("a form does not match its hash in the manifest"))
    schema.load_json(content, max_depth=limits.max_json_depth, canonical=True, fractions=True)
    try:
        definition = FormDefinition.model_validate_json(content)
    except (ValidationError, ValueError):
        raise SchemaError(_("a form definition is not valid")) from None
    if (definition.id, definition.version) != entry.key:
        raise SchemaError(_("a form does not match its manifest entry"))
    try:
        encoded = form_bytes(definition)
    except Exception:  # rfc8785 raises its own types for values it cannot represent
        raise SchemaError(_("a form definition is not valid")) from None
    if encoded != content:
        raise SchemaError(_("a form definition is not in canonical form"))
    return VerifiedForm(entry.form_id, entry.version, entry.sha256, content, definition)
