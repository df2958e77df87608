"""The states of an outbox item as the sync status area compares them.

They are the values of ``services.outbox.ItemState``, a ``StrEnum`` whose members equal these
strings. They are repeated here so that the window, its status line and the scheduler can be
built before the vault opens without importing the services, and the database engine and network
client that come with them (the app imports those only after the unlock page shows).
"""

from __future__ import annotations

WAITING = "waiting"
SENDING = "sending"
AT_HQ = "at-hq"
"""Headquarters holds the whole bundle; its signed receipt is not verified yet."""
DELIVERED = "delivered"
REFUSED = "refused"
