"""A swarm store in Redis, so several tracker processes share one swarm per torrent.

Each operation is one atomic Lua script run (expiry: one per batch of swarms) mirroring the rules
of `swarm.py`. Not for Redis Cluster: scripts build key names from the canonical info hash.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from torrentstack.bittorrent.announce import AnnounceEvent
from torrentstack.cache.redis import RedisConnection, connect
from torrentstack.tracker.store import CompletedLookup, Totals
from torrentstack.tracker.swarm import AnnounceOutcome, Peer, SwarmCounts

# Keys, all under the store's prefix P (h: a canonical 20-byte info hash, binary):
#   P swarms      zset, score 0: every tracked hash, so ZRANGE orders them bytewise
#   P completed   hash h -> completed count
#   P aliases     hash alias -> primary (BEP 52 hybrids, one level as in SwarmTable)
#   P totals      hash seeders / leechers / completed, kept by every script that changes them
#   P p<i>:h      hash peer key -> record; i = seeder * 2 + family (0 IPv4, 1 IPv6)
#   P t:h         zset peer key -> updated, for expiry
# A peer key is peer_id + IP address bytes. A record is _RECORD (the first byte, "completion
# counted", is set by the announce script) followed by the 2-byte port. Scripts hand peers back
# as one string of (key length byte, key, record) entries: one reply item however many peers,
# which keeps redis-py's reply parsing (pure Python without hiredis) off the profile.
_RECORD = struct.Struct(">BqqqdBB")  # counted, uploaded, downloaded, left, updated, event, ip len
_TAIL = struct.Struct(">qqqdBB")  # the record without its first byte, as the client sends it
_RECORD_SIZE = _RECORD.size + 2
_V4_ENDPOINT = 6
_EXPIRE_BATCH = 500  # swarms per expiry script run: keeps each run (which blocks Redis) short

# A hash is tracked exactly when it has a field in P completed (and a member in P swarms).
_LUA_COMMON = """
local P = ARGV[1]
local function canonical(h)
  return redis.call('HGET', P .. 'aliases', h) or h
end
local function tracked(c)  -- the completed count, or nil when the hash is not tracked
  local d = redis.call('HGET', P .. 'completed', c)
  if d then return tonumber(d) end
  return nil
end
local function counts(c, d)
  local s = redis.call('HLEN', P .. 'p2:' .. c) + redis.call('HLEN', P .. 'p3:' .. c)
  local l = redis.call('HLEN', P .. 'p0:' .. c) + redis.call('HLEN', P .. 'p1:' .. c)
  return {s, l, d}
end
"""

# ARGV: prefix, info hash, the canonical hash the caller assumed, its persisted completed count,
# peer key, family, seeder (0/1), record tail, updated, event, numwant, both families (0/1).
# Reply: {canonical} when the swarm is new and the caller assumed another canonical hash (it
# retries with that hash's count); otherwise {complete, incomplete, downloaded, old record or
# '', completed now, chosen peers}.
# Every redis.call costs about a microsecond of Lua overhead: calls are skipped where they
# cannot change anything (a re-announce keeping its status, an empty hash to choose from).
_ANNOUNCE = (
    _LUA_COMMON
    # the event numbers are AnnounceEvent's: the script keeps no copy of its own
    + f"local EVENT_COMPLETED, EVENT_STOPPED = {AnnounceEvent.COMPLETED:d}, {AnnounceEvent.STOPPED:d}"
    + """
local c = canonical(ARGV[2])
local totals = P .. 'totals'
local downloaded = tracked(c)
if not downloaded then
  if c ~= ARGV[3] then return {c} end
  downloaded = tonumber(ARGV[4])
  redis.call('ZADD', P .. 'swarms', 0, c)
  redis.call('HSET', P .. 'completed', c, downloaded)
  if downloaded ~= 0 then redis.call('HINCRBY', totals, 'completed', downloaded) end
end
local key = ARGV[5]
local family = tonumber(ARGV[6])
local seeder = tonumber(ARGV[7])
local event = tonumber(ARGV[10])
local keys = {[0] = P .. 'p0:' .. c, P .. 'p1:' .. c, P .. 'p2:' .. c, P .. 'p3:' .. c}
local function peers(i) return keys[i] end
local kinds = {'leechers', 'seeders'}
local own = seeder * 2 + family
-- look where the peer most likely is first: under the status it announces now
local was = seeder
local old = redis.call('HGET', peers(own), key)
if not old then
  was = 1 - seeder
  old = redis.call('HGET', peers(was * 2 + family), key)
  if not old then was = -1 end
end
local counted = 0
local completed_now = 0
if old then
  if string.byte(old, 1) == 1 then
    counted = 1
  elseif event == EVENT_COMPLETED then
    -- as Torrust: `completed` counts once, and only from a peer the swarm knows already
    counted = 1
    completed_now = 1
    downloaded = downloaded + 1
    redis.call('HINCRBY', P .. 'completed', c, 1)
    redis.call('HINCRBY', totals, 'completed', 1)
  end
else
  old = ''
end
local times = P .. 't:' .. c
if event == EVENT_STOPPED then
  if was >= 0 then
    redis.call('HDEL', peers(was * 2 + family), key)
    redis.call('HINCRBY', totals, kinds[was + 1], -1)
    redis.call('ZREM', times, key)
  end
  local n = counts(c, downloaded)
  return {n[1], n[2], downloaded, old, completed_now, ''}
end
if was ~= seeder then
  if was >= 0 then
    redis.call('HDEL', peers(was * 2 + family), key)
    redis.call('HINCRBY', totals, kinds[was + 1], -1)
  end
  redis.call('HINCRBY', totals, kinds[seeder + 1], 1)
end
redis.call('HSET', peers(own), key, string.char(counted) .. ARGV[8])
redis.call('ZADD', times, ARGV[9], key)
local sizes = {}
for i = 0, 3 do sizes[i] = redis.call('HLEN', peers(i)) end

-- leechers get seeders first; seeders only leechers; own family first, the other if asked
local numwant = tonumber(ARGV[11])
local families = {family}
if ARGV[12] == '1' then families[2] = 1 - family end
local wanted = {1, 0}
if seeder == 1 then wanted = {0} end
local chosen = {}
local n = 0
local function choose()
  for _, f in ipairs(families) do
    for _, k in ipairs(wanted) do
      local room = numwant - n
      if room <= 0 then return end
      local i = k * 2 + f
      local others = sizes[i]
      local ask = room
      if i == own then
        others = others - 1
        ask = room + 1
      end
      if others > 0 then
        local got = redis.call('HRANDFIELD', peers(i), ask, 'WITHVALUES')
        for j = 1, #got, 2 do
          if got[j] ~= key and n < numwant then
            chosen[#chosen + 1] = string.char(#got[j])
            chosen[#chosen + 1] = got[j]
            chosen[#chosen + 1] = got[j + 1]
            n = n + 1
          end
        end
      end
    end
  end
end
choose()
return {sizes[2] + sizes[3], sizes[0] + sizes[1], downloaded, old, completed_now,
        table.concat(chosen)}
"""
)

# ARGV: prefix, hashes... Reply: {complete, incomplete, downloaded} per hash, complete -1 when
# the hash is not tracked.
_SCRAPE = (
    _LUA_COMMON
    + """
local out = {}
for i = 2, #ARGV do
  local c = canonical(ARGV[i])
  local d = tracked(c)
  if d then
    local n = counts(c, d)
    out[#out + 1] = n[1]
    out[#out + 1] = n[2]
    out[#out + 1] = d
  else
    out[#out + 1] = -1
    out[#out + 1] = 0
    out[#out + 1] = 0
  end
end
return out
"""
)

# ARGV: prefix, offset, limit (> 0). Reply: {hash, complete, incomplete, downloaded, ...}.
_TORRENTS = (
    _LUA_COMMON
    + """
local start = tonumber(ARGV[2])
local hashes = redis.call('ZRANGE', P .. 'swarms', start, start + tonumber(ARGV[3]) - 1)
local out = {}
for _, c in ipairs(hashes) do
  local n = counts(c, tracked(c))
  out[#out + 1] = c
  out[#out + 1] = n[1]
  out[#out + 1] = n[2]
  out[#out + 1] = n[3]
end
return out
"""
)

# ARGV: prefix, hash. Reply: {} when not tracked, else {complete, incomplete, downloaded, peers}.
_TORRENT = (
    _LUA_COMMON
    + """
local c = canonical(ARGV[2])
local d = tracked(c)
if not d then return {} end
local found = {}
for i = 0, 3 do
  local all = redis.call('HGETALL', P .. 'p' .. i .. ':' .. c)
  for j = 1, #all, 2 do
    found[#found + 1] = string.char(#all[j])
    found[#found + 1] = all[j]
    found[#found + 1] = all[j + 1]
  end
end
local n = counts(c, d)
return {n[1], n[2], d, table.concat(found)}
"""
)

# ARGV: prefix. Reply: {torrents, seeders, leechers, completed}.
_TOTALS = """
local P = ARGV[1]
local t = redis.call('HMGET', P .. 'totals', 'seeders', 'leechers', 'completed')
return {redis.call('ZCARD', P .. 'swarms'), tonumber(t[1] or '0'), tonumber(t[2] or '0'),
        tonumber(t[3] or '0')}
"""

# ARGV: prefix, cutoff, batch size, the last hash of the previous batch ('' at first).
# Drops peers updated before the cutoff from a batch of swarms (in hash order), then those
# swarms left without peers and without a completed count.
# Reply: {peers dropped, swarms dropped, swarms looked at, last hash looked at}.
_EXPIRE = (
    _LUA_COMMON
    + """
local cutoff = '(' .. ARGV[2]
local start = '-'
if ARGV[4] ~= '' then start = '(' .. ARGV[4] end
local hashes = redis.call('ZRANGEBYLEX', P .. 'swarms', start, '+', 'LIMIT', 0, tonumber(ARGV[3]))
local dropped_peers, dropped_swarms, seeders, leechers = 0, 0, 0, 0
for _, c in ipairs(hashes) do
  local times = P .. 't:' .. c
  local stale = redis.call('ZRANGEBYSCORE', times, '-inf', cutoff)
  if #stale > 0 then
    for first = 1, #stale, 1000 do
      local last = math.min(first + 999, #stale)
      for i = 0, 3 do
        local n = redis.call('HDEL', P .. 'p' .. i .. ':' .. c, unpack(stale, first, last))
        if i >= 2 then seeders = seeders + n else leechers = leechers + n end
      end
    end
    redis.call('ZREMRANGEBYSCORE', times, '-inf', cutoff)
    dropped_peers = dropped_peers + #stale
  end
  if redis.call('EXISTS', times) == 0 and (tracked(c) or 0) == 0 then
    redis.call('ZREM', P .. 'swarms', c)
    redis.call('HDEL', P .. 'completed', c)
    dropped_swarms = dropped_swarms + 1
  end
end
if seeders > 0 then redis.call('HINCRBY', P .. 'totals', 'seeders', -seeders) end
if leechers > 0 then redis.call('HINCRBY', P .. 'totals', 'leechers', -leechers) end
return {dropped_peers, dropped_swarms, #hashes, hashes[#hashes] or ''}
"""
)

# ARGV: prefix, primary, alias. Points the alias at the primary's swarm and moves the alias's
# peers (ours win on a clash) and completed count into it. Reply: the primary used.
_LINK = (
    _LUA_COMMON
    + """
local primary = canonical(ARGV[2])
local alias = ARGV[3]
if alias == primary then return primary end
redis.call('HSET', P .. 'aliases', alias, primary)
local moved = tracked(alias)
if not moved then return primary end
local swarms = P .. 'swarms'
local completed = P .. 'completed'
if not tracked(primary) then
  redis.call('ZADD', swarms, 0, primary)
  redis.call('HSET', completed, primary, 0)
end
local from_times = P .. 't:' .. alias
local to_times = P .. 't:' .. primary
local clashes = {0, 0}
for i = 0, 3 do
  local from = P .. 'p' .. i .. ':' .. alias
  local all = redis.call('HGETALL', from)
  local family = i % 2
  for j = 1, #all, 2 do
    local key = all[j]
    if redis.call('HEXISTS', P .. 'p' .. family .. ':' .. primary, key) == 1
        or redis.call('HEXISTS', P .. 'p' .. (2 + family) .. ':' .. primary, key) == 1 then
      clashes[math.floor(i / 2) + 1] = clashes[math.floor(i / 2) + 1] + 1
    else
      redis.call('HSET', P .. 'p' .. i .. ':' .. primary, key, all[j + 1])
      redis.call('ZADD', to_times, redis.call('ZSCORE', from_times, key), key)
    end
  end
  redis.call('DEL', from)
end
redis.call('DEL', from_times)
if clashes[1] > 0 then redis.call('HINCRBY', P .. 'totals', 'leechers', -clashes[1]) end
if clashes[2] > 0 then redis.call('HINCRBY', P .. 'totals', 'seeders', -clashes[2]) end
redis.call('HINCRBY', completed, primary, moved)
redis.call('HDEL', completed, alias)
redis.call('ZREM', swarms, alias)
return primary
"""
)


def _decode_peers(packed: bytes) -> list[Peer]:
    """Read a script's peers: (key length byte, key, record) entries back to back."""
    peers: list[Peer] = []
    unpack = _RECORD.unpack_from
    at = 0
    while at < len(packed):
        key_end = at + 1 + packed[at]
        counted, uploaded, downloaded, left, updated, event, ip_len = unpack(packed, key_end)
        split = key_end - ip_len
        port = key_end + _RECORD.size
        peers.append(
            Peer(
                packed[at + 1 : split],
                packed[split:key_end] + packed[port : port + 2],
                uploaded,
                downloaded,
                left,
                AnnounceEvent(event),
                updated,
                counted == 1,
            )
        )
        at = key_end + _RECORD_SIZE
    return peers


class RedisSwarmStore:
    """Swarms in Redis under `prefix`; owns its connection and closes it in `close()`."""

    def __init__(
        self, connection: RedisConnection, completed: CompletedLookup, *, prefix: str
    ) -> None:
        self._connection = connection
        self._completed = completed
        self._prefix = prefix.encode()
        # Links this process made or loaded: lets announce pass the right persisted count in
        # its one round trip. A link made by another process costs one retry (see _ANNOUNCE).
        self._aliases: dict[bytes, bytes] = {}
        self._announce = connection.script(_ANNOUNCE)
        self._scrape = connection.script(_SCRAPE)
        self._torrents = connection.script(_TORRENTS)
        self._torrent = connection.script(_TORRENT)
        self._totals = connection.script(_TOTALS)
        self._expire = connection.script(_EXPIRE)
        self._link = connection.script(_LINK)

    async def announce(
        self, info_hash: bytes, peer: Peer, numwant: int, *, both_families: bool
    ) -> AnnounceOutcome:
        endpoint = peer.endpoint
        family = 0 if len(endpoint) == _V4_ENDPOINT else 1
        ip = endpoint[:-2]
        key = peer.peer_id + ip
        tail = (
            _TAIL.pack(peer.uploaded, peer.downloaded, peer.left, peer.updated, peer.event, len(ip))
            + endpoint[-2:]
        )
        canonical = self._aliases.get(info_hash, info_hash)
        while True:
            reply: list[Any] = await self._announce(
                args=(
                    self._prefix,
                    info_hash,
                    canonical,
                    self._completed(canonical),
                    key,
                    family,
                    1 if peer.left == 0 else 0,
                    tail,
                    peer.updated,
                    int(peer.event),
                    numwant,
                    1 if both_families else 0,
                )
            )
            if len(reply) != 1:
                break
            # The swarm is new and another process linked this hash: use the primary's count.
            canonical = reply[0]
            if canonical == info_hash:
                self._aliases.pop(info_hash, None)
            else:
                self._aliases[info_hash] = canonical
        complete, incomplete, downloaded, old, completed_now, chosen = reply
        up = down = 0
        known = old != b""
        if known:
            counted, old_up, old_down = _RECORD.unpack_from(old)[:3]
            up = max(peer.uploaded - old_up, 0)
            down = max(peer.downloaded - old_down, 0)
            peer.completed_counted = counted == 1 or completed_now == 1
        else:
            peer.completed_counted = False
        return AnnounceOutcome(
            SwarmCounts(complete, incomplete, downloaded),
            _decode_peers(chosen),
            up,
            down,
            known,
            completed_now == 1,
        )

    async def scrape(self, info_hashes: Sequence[bytes]) -> list[SwarmCounts | None]:
        if not info_hashes:
            return []
        flat: list[int] = await self._scrape(args=(self._prefix, *info_hashes))
        return [
            None if flat[i] < 0 else SwarmCounts(flat[i], flat[i + 1], flat[i + 2])
            for i in range(0, len(flat), 3)
        ]

    async def torrents(self, offset: int, limit: int) -> list[tuple[bytes, SwarmCounts]]:
        if limit <= 0:
            return []
        flat: list[Any] = await self._torrents(args=(self._prefix, max(offset, 0), limit))
        return [
            (flat[i], SwarmCounts(flat[i + 1], flat[i + 2], flat[i + 3]))
            for i in range(0, len(flat), 4)
        ]

    async def torrent(self, info_hash: bytes) -> tuple[SwarmCounts, list[Peer]] | None:
        reply: list[Any] = await self._torrent(args=(self._prefix, info_hash))
        if not reply:
            return None
        complete, incomplete, downloaded, packed = reply
        return SwarmCounts(complete, incomplete, downloaded), _decode_peers(packed)

    async def totals(self) -> Totals:
        torrents, seeders, leechers, completed = await self._totals(args=(self._prefix,))
        return Totals(torrents, seeders, leechers, completed)

    async def expire(self, cutoff: float) -> tuple[int, int]:
        peers = swarms = 0
        after = b""
        while True:
            dropped_peers, dropped_swarms, seen, after = await self._expire(
                args=(self._prefix, cutoff, _EXPIRE_BATCH, after)
            )
            peers += dropped_peers
            swarms += dropped_swarms
            if seen < _EXPIRE_BATCH:
                return peers, swarms

    async def link(self, primary: bytes, alias: bytes) -> None:
        used: bytes = await self._link(args=(self._prefix, primary, alias))
        if alias != used:
            self._aliases[alias] = used

    async def close(self) -> None:
        await self._connection.close()


async def open_redis_store(
    url: str, completed: CompletedLookup, *, prefix: str = "ts:tracker:"
) -> RedisSwarmStore:
    """Connect to Redis at `url` and return a swarm store keeping its keys under `prefix`."""
    return RedisSwarmStore(await connect(url), completed, prefix=prefix)
