"""Decisions that two victims are the same person (``link``) or not (``unlink``).

Each decision is appended to ``victim_links`` (never updated), signed with HQ's Ed25519 key over
the canonical JSON of :func:`decision_message`, and recorded in the audit log in the same
transaction. The current decision on a pair is its newest one. Victims joined by current
``link`` decisions, directly or through others, are one person: their ``an_victims.person_id``
is the smallest victim id of that group (:func:`apply_person_ids`, run after every decision,
after every ingest and after the analysis tables are rebuilt).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.errors import did_you_mean
from fieldkit.hq import audit
from fieldkit.hq.analysis.tables import an_victims
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import _

LINK_KIND = "fieldkit/hq-victim-link"
LINK_VERSION = 1
LINK_DOMAIN = b"fieldkit-hq-victim-link-v1\n"


class Decision(StrEnum):
    LINK = "link"
    UNLINK = "unlink"


@dataclass(frozen=True)
class LinkOutcome:
    a: str
    b: str
    decision: Decision
    changed: bool
    person_a: str
    person_b: str
    """The victims' person ids after the decision (equal: one person)."""

    @property
    def same_person(self) -> bool:
        return self.person_a == self.person_b

    def describe(self) -> str:
        """What the decision did, in one sentence."""
        words = {"a": self.a, "b": self.b, "person": self.person_a}
        if self.decision is Decision.LINK:
            if self.changed:
                text = _("Linked: {a} and {b} are one person ({person}); signed and logged.")
            else:
                text = _("{a} and {b} are already one person ({person}); nothing was changed.")
        elif not self.changed:
            text = _("{a} and {b} are already recorded as different persons; nothing was changed.")
        elif self.same_person:
            text = _(
                "Unlinked {a} and {b}; signed and logged. They are still one person ({person}) "
                "through links to other victims."
            )
        else:
            text = _("Unlinked: {a} and {b} are different persons; signed and logged.")
        return text.format(**words)


def decision_message(*, id: int, a: str, b: str, decision: str, at: str, actor: str) -> bytes:
    """What a decision's signature covers; ``id`` (its number in ``victim_links``) makes the same
    decision taken again a different message."""
    return canonical_json(
        {
            "kind": LINK_KIND,
            "v": LINK_VERSION,
            "id": id,
            "a": a,
            "b": b,
            "decision": decision,
            "at": at,
            "by": actor,
        }
    )


def current_decisions(conn: Connection) -> dict[tuple[str, str], str]:
    """The newest decision on every pair decided."""
    rows = conn.execute(
        sa.select(
            t.victim_links.c.victim_a, t.victim_links.c.victim_b, t.victim_links.c.decision
        ).order_by(t.victim_links.c.id)
    )
    return {(str(r.victim_a), str(r.victim_b)): str(r.decision) for r in rows}


def components(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each victim of ``pairs`` to the smallest victim id of its connected group."""
    parent: dict[str, str] = {}

    def find(v: str) -> str:
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {v: find(v) for v in parent}


def linked_pairs(decisions: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    return [pair for pair, decision in decisions.items() if decision == Decision.LINK]


def apply_person_ids(conn: Connection) -> int:
    """Set ``an_victims.person_id`` from the current links (in the caller's transaction): the
    smallest victim id among the existing victims of each linked group, else the victim's own
    id. Only rows whose person id changes are written. Returns the number of existing victims
    that share a person id with another. Links naming a victim that no longer exists (a newer
    revision has fewer victims) are kept, and join the others still.

    Only victims named in a decision are read: a person id other than the victim's own comes
    from a link alone, so no other row can need a change (and the step stays as cheap with a
    million victims as with a hundred)."""
    decisions = current_decisions(conn)
    groups = components(linked_pairs(decisions))
    named = sorted({victim for pair in decisions for victim in pair})
    v = an_victims.c
    existing: set[str] = set()
    for chunk in _chunks(sorted(groups)):
        existing.update(
            conn.execute(sa.select(v.victim_id).where(v.victim_id.in_(chunk))).scalars()
        )
    members: dict[str, list[str]] = {}
    for victim in sorted(existing):
        members.setdefault(groups[victim], []).append(victim)
    wanted = {victim: group[0] for group in members.values() if len(group) > 1 for victim in group}
    current: dict[str, str] = {}
    for chunk in _chunks(named):
        rows = conn.execute(
            sa.select(v.victim_id, v.person_id).where(
                v.victim_id.in_(chunk), v.person_id != v.victim_id
            )
        )
        current.update((str(victim), str(person)) for victim, person in rows)
    changes: dict[str, list[str]] = {}
    for victim in current.keys() | wanted.keys():
        person = wanted.get(victim, victim)
        if current.get(victim, victim) != person:
            changes.setdefault(person, []).append(victim)
    for person, victims in changes.items():
        for chunk in _chunks(victims):
            conn.execute(an_victims.update().where(v.victim_id.in_(chunk)).values(person_id=person))
    return len(wanted)


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def check_victims(conn: Connection, *given: str) -> list[str]:
    """The victim ids as stored; an unknown one is refused in one line."""
    ids = [g.strip().lower() for g in given]
    if len(set(ids)) < len(ids):
        raise InvalidInputError(_("Give two different victims; nothing was changed."))
    found = set(
        conn.execute(sa.select(an_victims.c.victim_id).where(an_victims.c.victim_id.in_(ids)))
        .scalars()
        .all()
    )
    for victim in ids:
        if victim not in found:
            record = victim.rpartition(".")[0]
            nearby = conn.execute(
                sa.select(an_victims.c.victim_id).where(an_victims.c.record_id == record)
            ).scalars()
            known = list(nearby) or _some_victims(conn, victim)
            raise NotFoundError(
                _("No victim {id} at headquarters (victim ids are RECORD_ID.N).").format(
                    id=victim[:60]
                )
                + did_you_mean(victim, known)
                + " "
                + _("`fieldkit-hq victims matches` shows candidate pairs.")
            )
    return ids


def _some_victims(conn: Connection, victim: str) -> list[str]:
    """Victim ids starting like ``victim`` (its first 6 characters), for a suggestion."""
    query = sa.select(an_victims.c.victim_id).where(
        an_victims.c.victim_id.startswith(victim[:6], autoescape=True)
    )
    return list(conn.execute(query.limit(200)).scalars())


def decide(
    repository: Repository,
    keys: HqKeys,
    a: str,
    b: str,
    decision: Decision,
    *,
    actor: str,
    at: str | None = None,
) -> LinkOutcome:
    """Link or unlink two victims (see the module's description). Idempotent: a decision equal
    to the pair's current one changes nothing. Unlinking two victims linked only through others
    is refused (unlink those links)."""
    name = audit.check_actor(actor)
    with transaction(repository, write=True) as conn:
        first, second = sorted(check_victims(conn, a, b))
        decisions = current_decisions(conn)
        current = decisions.get((first, second))
        groups = components(linked_pairs(decisions))
        together = groups.get(first, first) == groups.get(second, second)
        unchanged = current == decision or (
            decision is Decision.LINK and together and current != Decision.LINK
        )
        if decision is Decision.UNLINK and together and current != Decision.LINK:
            raise ConflictError(
                _(
                    "{a} and {b} are the same person through links to other victims; unlink "
                    "those pairs instead. Nothing was changed."
                ).format(a=first, b=second)
            )
        if not unchanged:
            _record(conn, keys, first, second, decision, name, at or utc_timestamp())
            apply_person_ids(conn)
            decisions[(first, second)] = decision.value
            groups = components(linked_pairs(decisions))
    return LinkOutcome(
        first,
        second,
        decision,
        not unchanged,
        groups.get(first, first),
        groups.get(second, second),
    )


def _record(
    conn: Connection, keys: HqKeys, a: str, b: str, decision: Decision, actor: str, at: str
) -> None:
    number = int(conn.execute(sa.select(sa.func.max(t.victim_links.c.id))).scalar() or 0) + 1
    message = decision_message(id=number, a=a, b=b, decision=decision.value, at=at, actor=actor)
    digest = sha256_hex(message)
    conn.execute(
        t.victim_links.insert().values(
            id=number,
            victim_a=a,
            victim_b=b,
            decision=decision.value,
            at=at,
            actor=actor,
            hash=digest,
            signer=keys.signing_key.key_id,
            signature=keys.signing_key.sign(LINK_DOMAIN + message).hex(),
        )
    )
    action = (
        audit.Action.VICTIMS_LINKED if decision is Decision.LINK else audit.Action.VICTIMS_UNLINKED
    )
    audit.append(
        conn,
        keys.signing_key,
        at=at,
        actor=actor,
        action=action,
        subject=a,
        detail={"a": a, "b": b, "decision": decision.value, "signed": digest},
    )


def signed_items(conn: Connection) -> Iterator[audit.SignedItem]:
    """Every decision, for :func:`fieldkit.hq.audit.verify`."""
    for row in conn.execute(sa.select(t.victim_links).order_by(t.victim_links.c.id)):
        message = decision_message(
            id=int(row.id),
            a=row.victim_a,
            b=row.victim_b,
            decision=row.decision,
            at=row.at,
            actor=row.actor,
        )
        yield audit.SignedItem(
            domain=LINK_DOMAIN,
            message=message,
            hash=row.hash,
            signature=row.signature,
            bad_signature=_("victim decision {n}: its signature does not verify").format(n=row.id),
            not_logged=_("victim decision {n}: it is not in the audit log").format(n=row.id),
        )


def history(conn: Connection) -> list[dict[str, Any]]:
    """Every decision, oldest first (ids, decision, time, who)."""
    rows = conn.execute(sa.select(t.victim_links).order_by(t.victim_links.c.id))
    return [
        {"a": r.victim_a, "b": r.victim_b, "decision": r.decision, "at": r.at, "by": r.actor}
        for r in rows
    ]
