"""cross-seed's client calls against real clients on loopback: torrentstack's own client,
qbittorrent-nox 4.5, transmission-daemon 3.00 and deluged 2.0 (see conftest.py's `seeded`)."""

from __future__ import annotations

import pytest

from tests.support.seeded_clients import FILES, NAME, Seeded
from torrentstack.crossseed.clients.base import TAG
from torrentstack.crossseed.decision import ActionResult, Decision

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def source_searchee(searchees, seeded: Seeded):
    (found,) = [s for s in searchees if s.info_hash == seeded.source.info_hash]
    return found


async def test_searchees_list_the_seeded_torrent(seeded: Seeded):
    client = seeded.client()
    searchees = await client.searchees()

    assert {s.info_hash for s in searchees} == {
        seeded.source.info_hash,
        seeded.missing.info_hash,
    }
    found = source_searchee(searchees, seeded)
    assert found.name == NAME
    assert sorted((f.path, f.length) for f in found.files) == sorted(
        (f"{NAME}/{name}", size) for name, size in FILES.items()
    )
    assert found.save_path is not None
    assert found.save_path.rstrip("/") == str(seeded.save_path)
    assert found.trackers == ("tracker-a.test",)  # the host only: no passkey
    assert found.complete is True
    assert found.client == client.label
    assert "correct" not in client.label  # no credentials in what logs show
    assert found.source.value == "client"
    assert await client.info_hashes() == {seeded.source.info_hash, seeded.missing.info_hash}


async def test_exact_match_is_injected_seeding_from_the_data_on_disk(seeded: Seeded):
    client = seeded.client()
    searchee = source_searchee(await client.searchees(), seeded)

    result = await client.inject(seeded.other, searchee, Decision.MATCH)

    assert result == ActionResult.INJECTED
    status = await seeded.wait_for(
        seeded.other.info_hash, lambda s: s["progress"] == 1 and s["seeding"]
    )
    assert status["downloaded"] == 0  # nothing fetched: there are no peers, the data was there
    assert not status["paused"]
    assert status["save_path"] == str(seeded.save_path)
    if seeded.kind != "deluge":  # deluge labels keep the source's label (it has none): cross-seed
        assert TAG in status["tags"]
    complete = await client.is_complete(seeded.other.info_hash)
    assert complete is True, await seeded.status(seeded.other.info_hash)
    # twice: already there
    assert (
        await client.inject(seeded.other, searchee, Decision.MATCH) == ActionResult.ALREADY_EXISTS
    )


async def test_partial_match_is_added_paused_and_rechecked(seeded: Seeded):
    client = seeded.client()
    searchee = source_searchee(await client.searchees(), seeded)

    result = await client.inject(seeded.partial, searchee, Decision.MATCH_PARTIAL)

    assert result == ActionResult.INJECTED
    # the check found the two episodes (32 of 40 pieces) and not the third; it stays paused
    status = await seeded.wait_for(
        seeded.partial.info_hash,
        lambda s: not s["checking"] and s["paused"] and s["progress"] > 0,
    )
    assert status["progress"] == pytest.approx(32 / 40, abs=0.01)
    assert await client.is_complete(seeded.partial.info_hash) is False


async def test_is_complete_complete_incomplete_and_unknown(seeded: Seeded):
    client = seeded.client()
    assert await client.is_complete(seeded.source.info_hash) is True
    assert await client.is_complete(seeded.missing.info_hash) is False
    assert await client.is_complete("0" * 40) is None


async def test_an_incomplete_source_is_not_injected_from(seeded: Seeded):
    client = seeded.client()
    (missing,) = [s for s in await client.searchees() if s.info_hash == seeded.missing.info_hash]
    assert missing.complete is False

    result = await client.inject(seeded.other, missing, Decision.MATCH)

    assert result == ActionResult.TORRENT_NOT_COMPLETE
    assert await seeded.status(seeded.other.info_hash) is None


async def test_a_readonly_client_refuses_to_inject(seeded: Seeded):
    kind, rest = seeded.url.split(":", 1)
    client = seeded.client(f"{kind}:readonly:{rest}")
    assert client.readonly
    searchee = source_searchee(await client.searchees(), seeded)

    assert await client.inject(seeded.other, searchee, Decision.MATCH) == ActionResult.FAILURE
    assert await seeded.status(seeded.other.info_hash) is None
