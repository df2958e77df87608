"""The inner container: a magic, a version byte, then length-prefixed frames.

::

    container = magic version frame* END-frame
    frame     = type:u8 length:u64be payload[length]

Bundles, receipts and published forms share this framing (with different magics and frame
sequences). The reader is a push parser: decrypted plaintext is fed to it piece by piece as pyrage
produces it, and it hands each frame to a handler that knows which frame must come next and how
long it must be.
Nothing is buffered beyond one frame payload whose length the handler accepted first.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import IntEnum
from typing import Protocol

from fieldkit.bundle.schema import ForeignFormatError, SchemaError
from fieldkit.i18n import _

BUNDLE_MAGIC = b"FKBUNDLE"
RECEIPT_MAGIC = b"FKRECEIPT"
PUBLISHED_FORM_MAGIC = b"FKFORM"
FORMAT_VERSION = 1
FRAME_HEADER = struct.Struct(">BQ")
DATA_CHUNK = 1024 * 1024
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
SIGNATURE_FRAME_BYTES = PUBLIC_KEY_BYTES + SIGNATURE_BYTES
ATTACHMENT_FRAME_BYTES = 32 + 8


class FrameType(IntEnum):
    MANIFEST = 0x01
    SIGNATURE = 0x02
    REVISION = 0x03
    ATTACHMENT = 0x04
    DATA = 0x05
    RECEIPT = 0x06
    FORM = 0x07
    PUBLICATION = 0x08
    END = 0xFF


def frame_header(frame_type: FrameType, length: int) -> bytes:
    return FRAME_HEADER.pack(frame_type, length)


def frame(frame_type: FrameType, payload: bytes) -> bytes:
    return FRAME_HEADER.pack(frame_type, len(payload)) + payload


def data_frame_sizes(size: int) -> Iterator[int]:
    """Lengths of the DATA frames carrying ``size`` bytes: full chunks, then the rest."""
    full, rest = divmod(size, DATA_CHUNK)
    for _i in range(full):
        yield DATA_CHUNK
    if rest:
        yield rest


def data_frame_count(size: int) -> int:
    return -(-size // DATA_CHUNK)


def attachment_frames_bytes(size: int) -> int:
    """Bytes of one ATTACHMENT frame and its DATA frames."""
    return (
        FRAME_HEADER.size
        + ATTACHMENT_FRAME_BYTES
        + data_frame_count(size) * FRAME_HEADER.size
        + size
    )


class FrameHandler(Protocol):
    """What a :class:`FrameParser` reports to. Any method may raise to stop the parse."""

    def version(self, version: int) -> None: ...

    def begin(self, frame_type: int, length: int) -> bool:
        """Accept the next frame (or raise); True to get its whole payload at once."""
        ...

    def payload(self, data: bytes) -> None:
        """The whole payload of a buffered frame."""
        ...

    def chunk(self, data: memoryview) -> None:
        """A piece of a streamed frame's payload."""
        ...

    def end(self) -> None:
        """The current frame is complete (called for every frame, after its payload)."""
        ...


class FrameParser:
    """Feed plaintext with :meth:`feed`; call :meth:`close` at its end."""

    def __init__(self, magic: bytes, handler: FrameHandler) -> None:
        self._magic = magic
        self._handler = handler
        self._need = len(magic) + 1  # magic and version byte
        self._small = bytearray()  # magic, version and frame headers being gathered
        self._state = "magic"
        self._buffer: bytearray | None = None
        self._remaining = 0
        self._frame_type = 0
        self.frames = 0
        self.finished = False

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self.finished:
                raise SchemaError(_("there are bytes after the end"))
            if self._state == "payload":
                view = self._take_payload(view)
                continue
            take = min(self._need - len(self._small), len(view))
            self._small += view[:take]
            view = view[take:]
            if len(self._small) == self._need:
                self._complete_small()

    def _complete_small(self) -> None:
        small = bytes(self._small)
        self._small.clear()
        if self._state == "magic":
            if small[: len(self._magic)] != self._magic:
                raise ForeignFormatError(_("it does not start with the fieldkit magic"))
            self._handler.version(small[-1])
            self._state = "header"
            self._need = FRAME_HEADER.size
            return
        frame_type, length = FRAME_HEADER.unpack(small)
        self.frames += 1
        buffered = self._handler.begin(frame_type, length)
        self._remaining = length
        self._buffer = bytearray() if buffered else None
        self._state = "payload"
        self._frame_type = frame_type
        if length == 0:
            self._finish_frame(frame_type)

    def _take_payload(self, view: memoryview) -> memoryview:
        take = min(self._remaining, len(view))
        piece, rest = view[:take], view[take:]
        if self._buffer is not None:
            self._buffer += piece
        else:
            self._handler.chunk(piece)
        self._remaining -= take
        if self._remaining == 0:
            self._finish_frame(self._frame_type)
        return rest

    def _finish_frame(self, frame_type: int) -> None:
        if self._buffer is not None:
            data = bytes(self._buffer)
            self._buffer = None
            self._handler.payload(data)
        self._handler.end()
        self._state = "header"
        self._need = FRAME_HEADER.size
        if frame_type == FrameType.END:
            self.finished = True

    def close(self) -> None:
        """The plaintext ended: it must have ended with the END frame."""
        if not self.finished:
            raise SchemaError(_("it ends before its last item"))
