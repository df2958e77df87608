"""The contract every repository backend keeps for the sync server's state: challenges, session
tokens and resumable uploads."""

from __future__ import annotations

from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.sync import Upload

DEVICE = "a" * 32


def _upload(upload_id: str = "1" * 32, bundle: str = "b" * 64) -> Upload:
    return Upload(upload_id, DEVICE, bundle, length=100, offset=0, expires_at=2000)


def test_a_challenge_is_taken_once_and_only_before_it_expires(repository: Repository) -> None:
    repository.add_challenge("c" * 64, DEVICE, expires_at=1060)
    assert repository.take_challenge("c" * 64, now=1000) == DEVICE
    assert repository.take_challenge("c" * 64, now=1000) is None  # single use
    repository.add_challenge("d" * 64, DEVICE, expires_at=1060)
    assert repository.take_challenge("d" * 64, now=1060) is None  # expired
    assert repository.take_challenge("e" * 64, now=1000) is None  # never issued


def test_a_token_names_its_device_until_it_expires_or_is_dropped(repository: Repository) -> None:
    repository.add_token("1" * 64, DEVICE, expires_at=1900)
    repository.add_token("2" * 64, "f" * 32, expires_at=1900)
    assert repository.token_device("1" * 64, now=1000) == DEVICE
    assert repository.token_device("1" * 64, now=1900) is None
    assert repository.token_device("3" * 64, now=1000) is None
    assert repository.drop_tokens(DEVICE) == 1
    assert repository.token_device("1" * 64, now=1000) is None
    assert repository.token_device("2" * 64, now=1000) == "f" * 32


def test_the_same_bundle_of_a_device_is_one_upload(repository: Repository) -> None:
    first = repository.add_upload(_upload())
    again = repository.add_upload(_upload("2" * 32))
    assert again == first
    assert repository.device_upload(DEVICE, "b" * 64) == first
    assert repository.device_upload("f" * 32, "b" * 64) is None
    assert repository.upload("2" * 32) is None
    other = repository.add_upload(_upload("3" * 32, bundle="c" * 64))
    assert other.upload_id == "3" * 32


def test_an_upload_advances_only_from_its_stored_offset(repository: Repository) -> None:
    repository.add_upload(_upload())
    assert repository.advance_upload("1" * 32, 0, 40)
    assert not repository.advance_upload("1" * 32, 0, 60)  # another request moved it
    held = repository.upload("1" * 32)
    assert held is not None and held.offset == 40 and not held.complete
    assert repository.advance_upload("1" * 32, 40, 100)
    repository.finish_upload("1" * 32, "d" * 64)
    held = repository.upload("1" * 32)
    assert held is not None and held.complete and held.manifest_sha256 == "d" * 64


def test_expired_unfinished_uploads_are_listed_and_deleted(repository: Repository) -> None:
    repository.add_upload(_upload())
    repository.add_upload(_upload("2" * 32, bundle="c" * 64))
    repository.finish_upload("2" * 32, "d" * 64)
    assert [u.upload_id for u in repository.expired_uploads(now=1999)] == []
    assert [u.upload_id for u in repository.expired_uploads(now=2000)] == ["1" * 32]
    assert repository.delete_upload("1" * 32)
    assert not repository.delete_upload("1" * 32)
    assert repository.upload("1" * 32) is None
