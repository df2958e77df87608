"""The keyed hash that lets HQ find the same victim in two records without storing a name.

The key: HKDF-SHA256 (no salt, info :data:`MATCH_INFO`) from the seed of HQ's Ed25519 signing
key, so that no new secret file exists and the hashes mean nothing without HQ's key; another HQ
(another key) gets other hashes for the same name. The hash: HMAC-SHA256 under that key over
the victim's normalised name (:func:`normalise_name`), in hexadecimal. A plain SHA-256 of a name
can be reversed by hashing a list of names; this one cannot without HQ's key.

What is compared: the name only (``victim_name``), not the contact. A contact is often missing,
changes (a new telephone number) and is written in many ways; requiring it would hide most
repeat victims, and a name alone only proposes a candidate pair that an analyst decides on.

Normalisation: Unicode NFKD, combining marks removed (accents, Arabic vowel signs), case folded,
everything that is not a letter or a digit made a space, then the words sorted (so "Diallo
Amadou" meets "Amadou Diallo") and joined by one space.

What it cannot catch: spelling variants and transliterations (Mohamed / Mohammed, a name in
Arabic script in one record and in Latin script in another), nicknames, pseudonyms given instead
of a name, typing mistakes, a name given in one record and left empty in the other, extra or
missing words (a middle name). Different people with the same name are proposed as a pair:
the analyst decides (``victims link`` or ``victims unlink``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldkit.crypto.identity import SigningKey

MATCH_INFO = b"fieldkit victim match v1"
VICTIMS_REPEAT = "victims"
NAME_FIELD = "victim_name"


def match_key(signing_key: SigningKey) -> bytes:
    """The HMAC key derived from HQ's signing key seed (kept in memory only)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MATCH_INFO)
    return hkdf.derive(signing_key.private_bytes())


def normalise_name(text: str) -> str:
    """The comparable form of a name (see the module's description); "" when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    spaced = "".join(c if c.isalnum() else " " for c in bare)
    return " ".join(sorted(spaced.split()))


def keyed_hash(key: bytes, name: str) -> str | None:
    """HMAC-SHA256 of the normalised name under ``key``; None for an empty name."""
    normal = normalise_name(name)
    if not normal:
        return None
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(normal.encode("utf-8"))
    return mac.finalize().hex()


@dataclass(frozen=True)
class VictimKey:
    victim_id: str
    record_id: str
    key: str

    def __repr__(self) -> str:  # the key is a pseudonym, but no need to print it
        return f"VictimKey({self.victim_id})"


def victim_id(record_id: str, entry: int) -> str:
    """``<record_id>.<n>``: the n-th (1-based) entry of the record's victims repeat."""
    return f"{record_id}.{entry}"


def victim_names(answers: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """``(entry, name)`` of each victim entry with a name, from a revision's identifying answers
    (or from all its answers: the victims repeat is laid out the same)."""
    entries = answers.get(VICTIMS_REPEAT)
    if not isinstance(entries, list):
        return
    for number, entry in enumerate(entries, start=1):
        name = entry.get(NAME_FIELD) if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip():
            yield number, name


def keys_of(key: bytes, record_id: str, answers: dict[str, Any]) -> list[VictimKey]:
    """The keyed hashes of a record's named victims. Names live only in this call."""
    found = []
    for number, name in victim_names(answers):
        digest = keyed_hash(key, name)
        if digest is not None:
            found.append(VictimKey(victim_id(record_id, number), record_id, digest))
    return found
