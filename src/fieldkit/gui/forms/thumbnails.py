"""Thumbnails of image attachments, made in memory only.

The encrypted attachment is read into memory (``attachments.read_for_preview``) and decoded with
``QImage.loadFromData``: no decrypted file ever reaches the disk, and no outside viewer is opened.

Reading and decoding (up to ``THUMBNAIL_MAX_BYTES``) are slow work: :func:`thumbnail_image` does
them and may run on a task runner's worker, since it makes a ``QImage`` only (Qt's images may be
made on any thread, pixmaps only on the main one). The main thread turns the scaled image into a
pixmap (:func:`to_pixmap`). :func:`thumbnail` does both at once, for callers without a runner.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap

from fieldkit.errors import FieldkitError
from fieldkit.services import attachments
from fieldkit.vault.store import Vault

THUMBNAIL_SIZE = 96
THUMBNAIL_MAX_BYTES = 32 * 1024 * 1024
"""Larger images get no thumbnail: decoding them would take too much memory and time."""


@functools.cache
def _decodable() -> frozenset[str]:
    """Media types Qt can decode here (asked once, after the application has its plugins)."""
    formats = {
        bytes(fmt.data()).decode("ascii", "replace").lower()
        for fmt in QImageReader.supportedImageFormats()
    }
    types = {f"image/{fmt}" for fmt in formats}
    if "jpeg" in formats:
        types.add("image/jpg")
    return frozenset(types)


def can_preview(media_type: str, size: int) -> bool:
    return media_type.lower() in _decodable() and 0 < size <= THUMBNAIL_MAX_BYTES


def thumbnail_image(vault: Vault, sha256: str, size: int = THUMBNAIL_SIZE) -> QImage | None:
    """The stored image scaled to fit ``size``, or None when it cannot be read or decoded.

    Safe on a worker thread: it touches no widget and makes no pixmap."""
    try:
        untrusted_bytes = attachments.read_for_preview(vault, sha256, THUMBNAIL_MAX_BYTES)
    except (FieldkitError, RuntimeError):
        return None
    image = QImage()
    if not image.loadFromData(untrusted_bytes):
        return None
    del untrusted_bytes
    return image.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def to_pixmap(image: QImage) -> QPixmap:
    """The pixmap to show (main thread only)."""
    return QPixmap.fromImage(image)


def thumbnail(vault: Vault, sha256: str, size: int = THUMBNAIL_SIZE) -> QPixmap | None:
    """A thumbnail of the stored image, or None: both steps at once, on the calling thread."""
    image = thumbnail_image(vault, sha256, size)
    return None if image is None else to_pixmap(image)
