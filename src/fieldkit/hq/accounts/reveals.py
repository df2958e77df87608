"""Which records a session revealed (identifying answers, attachments), and until when.

A reveal lasts :data:`REVEAL_MINUTES` and belongs to one session: it ends with the session
(sign-out, expiry, disabled account). The audit entry of each reveal is written by the reveal use
case of the records pages; this module only keeps the server-side state.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fieldkit.hq.accounts.sessions import Session
from fieldkit.hq.accounts.store import now, stamp, transaction
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_reveals

REVEAL_MINUTES = 15


class SessionReveals:
    """The reveals of the sessions of one repository."""

    def __init__(self, repository: Repository, minutes: int = REVEAL_MINUTES) -> None:
        self._repository = repository
        self.duration = dt.timedelta(minutes=minutes)

    def grant(
        self, session: Session | str, record_id: str, *, moment: dt.datetime | None = None
    ) -> str:
        """Reveal ``record_id`` to ``session`` (or extend its reveal); return until when."""
        session_id = session if isinstance(session, str) else session.id
        until = stamp((moment or now()) + self.duration)
        with transaction(self._repository, write=True) as conn:
            where = sa.and_(
                web_reveals.c.session_id == session_id, web_reveals.c.record_id == record_id
            )
            conn.execute(web_reveals.delete().where(where))
            conn.execute(
                web_reveals.insert().values(session_id=session_id, record_id=record_id, until=until)
            )
        return until

    def active(
        self, session: Session | str, record_id: str, *, moment: dt.datetime | None = None
    ) -> bool:
        """Whether ``record_id`` is revealed to ``session`` now."""
        return self.until(session, record_id, moment=moment) is not None

    def until(
        self, session: Session | str, record_id: str, *, moment: dt.datetime | None = None
    ) -> str | None:
        """Until when ``record_id`` is revealed to ``session``, or None."""
        session_id = session if isinstance(session, str) else session.id
        with transaction(self._repository) as conn:
            value = conn.execute(
                sa.select(web_reveals.c.until).where(
                    web_reveals.c.session_id == session_id,
                    web_reveals.c.record_id == record_id,
                )
            ).scalar_one_or_none()
        if value is None or value <= stamp(moment or now()):
            return None
        return str(value)
