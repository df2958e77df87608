"""Sign-in and the rate limiter as use cases, on the in-memory repository, with a clock."""

from __future__ import annotations

import pytest

from fieldkit.bundle.erase_order import verify_erase_order
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.lost import declare_lost
from fieldkit.hq.repository import FakeRepository
from fieldkit.hq.server.errors import SyncError
from fieldkit.hq.server.sessions import (
    CHALLENGE_SECONDS,
    TOKEN_SECONDS,
    RateLimiter,
    Sessions,
    session_message,
)
from tests.hq.support import Device

HQ_KEY = SigningKey.generate()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _enrolled(clock: Clock) -> tuple[FakeRepository, Device, Sessions]:
    """A repository with one registered device, and sign-in on it with ``clock``."""
    repository = FakeRepository()
    device = Device()
    device.register(repository)
    return repository, device, Sessions(repository, HQ_KEY, RateLimiter(100, clock), clock)


def test_the_limiter_says_when_the_oldest_request_leaves_the_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)
    limiter.check("a")
    clock.now += 20
    limiter.check("a")
    limiter.check("b")  # each device counts alone
    with pytest.raises(SyncError) as refused:
        limiter.check("a")
    assert refused.value.code == "rate-limited" and refused.value.retry_after == 41
    clock.now += 41
    limiter.check("a")


def test_a_challenge_and_a_token_live_their_time_and_no_longer() -> None:
    clock = Clock()
    _repository, device, sessions = _enrolled(clock)
    key_id = device.key.key_id

    def signed(challenge: str) -> bytes:
        return device.key.sign(session_message(challenge, HQ_KEY.key_id, key_id))

    challenge, expires = sessions.challenge(key_id)
    assert expires == clock.now + CHALLENGE_SECONDS
    clock.now += CHALLENGE_SECONDS
    with pytest.raises(SyncError, match="expired or used already"):
        sessions.sign_in(key_id, challenge, signed(challenge))
    challenge, _expires = sessions.challenge(key_id)
    token, expires = sessions.sign_in(key_id, challenge, signed(challenge))
    assert expires == clock.now + TOKEN_SECONDS
    assert sessions.authenticate(f"Bearer {token}").key_id == key_id
    clock.now += TOKEN_SECONDS
    with pytest.raises(SyncError, match="sign in again"):
        sessions.authenticate(f"Bearer {token}")
    with pytest.raises(SyncError, match="sign in again"):
        sessions.authenticate(f"Basic {token}")


def test_a_signature_for_another_hq_is_refused() -> None:
    _repository, device, sessions = _enrolled(Clock())
    key_id = device.key.key_id
    challenge, _expires = sessions.challenge(key_id)
    other_hq = device.key.sign(session_message(challenge, "e" * 32, key_id))
    with pytest.raises(SyncError, match="does not verify") as refused:
        sessions.sign_in(key_id, challenge, other_hq)
    assert refused.value.status == 401


def test_a_lost_device_gets_its_erase_order_at_every_step() -> None:
    repository, device, sessions = _enrolled(Clock())
    key_id = device.key.key_id
    challenge, _expires = sessions.challenge(key_id)
    token, _expires = sessions.sign_in(
        key_id, challenge, device.key.sign(session_message(challenge, HQ_KEY.key_id, key_id))
    )
    later, _expires = sessions.challenge(key_id)
    declare_lost(repository, key_id, 1, "2026-12-07T10:00:00Z")
    steps = [
        lambda: sessions.challenge(key_id),
        lambda: sessions.sign_in(
            key_id, later, device.key.sign(session_message(later, HQ_KEY.key_id, key_id))
        ),
        lambda: sessions.authenticate(f"Bearer {token}"),  # a token from before still answers
    ]
    for step in steps:
        with pytest.raises(SyncError) as refused:
            step()
        answer = refused.value.to_json()
        assert refused.value.status == 403 and answer["error"] == "lost-device"
        order = verify_erase_order(answer["erase"], HQ_KEY.public.public_key, key_id)
        assert order.issued == "2026-12-07T10:00:00Z"
