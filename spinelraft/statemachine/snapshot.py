"""Canonical snapshot encoding of a StateMachine.

A snapshot is a sequence of (record key, record value) pairs in a fixed order: one metadata
record, then every key of every database in the database's insertion order, then the WATCH
versions of deleted keys. The same state always yields the same bytes, which is how replicas
are compared (digest) and what RocksDB stores (raft/snapshots.py writes these records).
"""
import hashlib
import marshal
import struct
from collections import deque

from spinelraft.statemachine.machine import StateMachine
from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue

SNAPSHOT_FORMAT = 3  # 2: versions of deleted keys are kept ("v" records); 3: cluster members
READABLE_FORMATS = (1, 2, 3)
META_KEY = b"meta"
DATA_PREFIX = b"d"
VERSION_PREFIX = b"v"

# type -> (tag, encode(value) -> marshal-able, decode(payload) -> value)
CODECS = {}
DECODERS = {}


def register_codec(cls, tag: str, encode, decode):
    assert tag not in DECODERS, "codec tag used twice: %s" % tag
    CODECS[cls] = (tag, encode)
    DECODERS[tag] = decode


def _decode_zset(payload):
    zset = ZSetValue()
    for member, score in payload:
        zset.add(member, score)
    return zset


register_codec(bytes, "s", lambda value: value, lambda payload: payload)
register_codec(deque, "l", list, deque)
register_codec(HashValue, "h", lambda value: list(value.items()), lambda p: HashValue(p))
register_codec(SetValue, "S", list, lambda payload: SetValue.fromkeys(payload))
register_codec(ZSetValue, "z", lambda value: list(value.scores.items()), _decode_zset)


def record_key(db_index: int, position: int) -> bytes:
    """Records are keyed by (db, position) so a store that sorts keys (RocksDB) gives them back
    in the original insertion order: dict order is part of the replicated state (SPOP, SCAN)."""
    return DATA_PREFIX + struct.pack(">BQ", db_index, position)


def version_record_key(db_index: int, position: int) -> bytes:
    return VERSION_PREFIX + struct.pack(">BQ", db_index, position)


def deleted_key_versions(db):
    """(key, version) of every deleted key whose WATCH version is still remembered, sorted by
    key (the order of db.versions is not replicated state; a restore changes it). They are
    replicated state: EXEC compares them, and their number decides when Database.bump_version
    compacts, so a restored replica must have exactly the same ones."""
    data = db.data
    return sorted((key, version) for key, version in db.versions.items() if key not in data)


def encode_value(name: bytes, value, expire_ms, version) -> bytes:
    tag, encode = CODECS[type(value)]
    return marshal.dumps((name, tag, encode(value), expire_ms, version), 2)


def iter_records(machine: StateMachine):
    """Yield (record key, record value) in canonical order."""
    floors = [db.version_floor for db in machine.dbs]
    meta = (SNAPSHOT_FORMAT, len(machine.dbs), machine.counter, machine.time_ms, floors,
            list(machine.recent_entry_ids), list(machine.members.items()))
    yield META_KEY, marshal.dumps(meta, 2)
    for index, db in enumerate(machine.dbs):
        expires = db.expires
        versions = db.versions
        for position, (key, value) in enumerate(db.data.items()):
            yield record_key(index, position), encode_value(
                key, value, expires.get(key, -1), versions.get(key, -1)
            )
    for index, db in enumerate(machine.dbs):
        for position, pair in enumerate(deleted_key_versions(db)):
            yield version_record_key(index, position), marshal.dumps(pair, 2)


def load_records(records) -> StateMachine:
    """Rebuild a StateMachine from records sorted by record key (meta may come anywhere)."""
    pending = []
    machine = None
    for key, blob in records:
        if key == META_KEY:
            fmt, databases, counter, time_ms, floors, entry_ids, *rest = marshal.loads(blob)
            assert fmt in READABLE_FORMATS, "unknown snapshot format %r" % (fmt,)
            machine = StateMachine(databases)
            machine.counter = counter
            machine.time_ms = time_ms
            machine.recent_entry_ids = dict.fromkeys(entry_ids)
            machine.members = dict(rest[0]) if rest else {}
            for db, floor in zip(machine.dbs, floors):
                db.version_floor = floor
            continue
        pending.append((key, blob))
    assert machine is not None, "snapshot has no metadata record"
    for key, blob in pending:
        db = machine.dbs[key[1]]
        if key.startswith(VERSION_PREFIX):
            name, version = marshal.loads(blob)
            db.versions[name] = version
            continue
        assert key.startswith(DATA_PREFIX), "unknown snapshot record %r" % (key,)
        name, tag, payload, expire_ms, version = marshal.loads(blob)
        db.data[name] = DECODERS[tag](payload)
        if expire_ms >= 0:
            db.set_expire(name, expire_ms)
        if version >= 0:
            db.versions[name] = version
    return machine


def digest(machine: StateMachine) -> str:
    """sha256 over the canonical records: equal digests mean byte-identical snapshots."""
    hasher = hashlib.sha256()
    for key, value in iter_records(machine):
        hasher.update(len(key).to_bytes(4, "big"))
        hasher.update(key)
        hasher.update(len(value).to_bytes(4, "big"))
        hasher.update(value)
    return hasher.hexdigest()
