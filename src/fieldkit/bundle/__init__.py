"""Signed, encrypted bundles and receipts: the format that carries sealed records to HQ.

Pure format code: it parses untrusted bytes with hard limits and knows nothing of Qt, the device
vault or the HQ store. The format is specified byte by byte in ``docs/bundle-format.md``.
"""

from fieldkit.bundle.agefile import identity_from_key_file, new_identity
from fieldkit.bundle.enrolment import (
    DeviceIdentityFile,
    Enrolment,
    is_display_name,
    make_device_identity_file,
    make_enrolment,
    read_device_identity_file,
    read_enrolment,
)
from fieldkit.bundle.errors import (
    BundleError,
    DamagedError,
    ExportVerificationError,
    InvalidRequestError,
    LimitExceededError,
    NewerVersionError,
    NotRecognisedError,
    SourceChangedError,
    UntrustedSignerError,
)
from fieldkit.bundle.forms import VerifiedForm, form_bytes
from fieldkit.bundle.limits import DEFAULT_LIMITS, Limits
from fieldkit.bundle.manifest import AttachmentEntry, FormEntry, Manifest, RevisionEntry
from fieldkit.bundle.published import (
    PUBLISHED_FORM_SUFFIX,
    PublishedForm,
    make_published_form,
    max_published_form_bytes,
    published_form_file_name,
    read_published_form,
)
from fieldkit.bundle.reader import (
    InlineSignatureChecks,
    OnRevision,
    OpenedBundle,
    SignatureChecker,
    SignatureChecks,
    SpooledAttachment,
    VerifiedRevision,
    open_bundle,
)
from fieldkit.bundle.receipts import Receipt, make_receipt, new_receipt_file_name, read_receipt
from fieldkit.bundle.spooling import AttachmentSink, AttachmentWriter, SpoolFolder
from fieldkit.bundle.writer import (
    AttachmentSource,
    BundleInfo,
    ExportedBundle,
    FormSource,
    SealedRevision,
    export_bundle_file,
    find_bundle_files,
    is_bundle_file_name,
    verify_bundle_file,
    write_bundle,
)

__all__ = [
    "DEFAULT_LIMITS",
    "PUBLISHED_FORM_SUFFIX",
    "AttachmentEntry",
    "AttachmentSink",
    "AttachmentSource",
    "AttachmentWriter",
    "BundleError",
    "BundleInfo",
    "DamagedError",
    "DeviceIdentityFile",
    "Enrolment",
    "ExportVerificationError",
    "ExportedBundle",
    "FormEntry",
    "FormSource",
    "InlineSignatureChecks",
    "InvalidRequestError",
    "LimitExceededError",
    "Limits",
    "Manifest",
    "NewerVersionError",
    "NotRecognisedError",
    "OnRevision",
    "OpenedBundle",
    "PublishedForm",
    "Receipt",
    "RevisionEntry",
    "SealedRevision",
    "SignatureChecker",
    "SignatureChecks",
    "SourceChangedError",
    "SpoolFolder",
    "SpooledAttachment",
    "UntrustedSignerError",
    "VerifiedForm",
    "VerifiedRevision",
    "export_bundle_file",
    "find_bundle_files",
    "form_bytes",
    "identity_from_key_file",
    "is_bundle_file_name",
    "is_display_name",
    "make_device_identity_file",
    "make_enrolment",
    "make_published_form",
    "make_receipt",
    "max_published_form_bytes",
    "new_identity",
    "new_receipt_file_name",
    "open_bundle",
    "published_form_file_name",
    "read_device_identity_file",
    "read_enrolment",
    "read_published_form",
    "read_receipt",
    "verify_bundle_file",
    "write_bundle",
]
