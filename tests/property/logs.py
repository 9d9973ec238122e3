"""Hypothesis strategies for random Raft logs, and a canonical replay of them.

A log is a list of items, in order:
  ("e", entry_blob)                      an entry applied with StateMachine.apply_entry
  ("r", db, argv, now_ms, seed)          a local read served with StateMachine.read

Commands come from a broad vocabulary over a small key space (a few keys per type plus a few
shared ones, so WRONGTYPE paths run too), with expiry times close to the entry timestamps so
keys really expire in the middle of a log. The replay is used in-process (snapshot tests) and by
replay_worker.py in child processes with different hash seeds (determinism tests).
"""
import hashlib
import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

import spinelraft.statemachine.commands  # noqa: F401  (registers the commands)
from spinelraft.command_table import COMMANDS
from spinelraft.resp.encoder import encode
from spinelraft.statemachine.machine import (
    OP_COMMAND,
    OP_EXEC,
    OP_EXPIRE,
    OP_NOOP,
    StateMachine,
    decode_entry,
    encode_entry,
    op_seed,
)

# Logs of ~200 operations shrink slowly in Hypothesis; tests using these settings report a
# failure through check_log, which minimises the failing log itself.
LOG_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
T0_MS = 1_700_000_000_000
SEED_MAX = (1 << 64) - 1

SHARED_KEYS = [b"k", b"{t}x"]
FAMILY_KEYS = {
    "string": [b"s1", b"s2"],
    "list": [b"l1", b"l2"],
    "hash": [b"h1", b"h2"],
    "set": [b"S1", b"S2"],
    "zset": [b"z1", b"z2"],
}
ALL_KEYS = SHARED_KEYS + [key for keys in FAMILY_KEYS.values() for key in keys]
MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"1", b"2", b"3", b"10", b"-5", b"x" * 70]
INTEGERS = [b"0", b"1", b"-1", b"2", b"3", b"5", b"-3", b"100", b"abc", b"1.5"]
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"-1", b"-2", b"-5", b"10", b"100"]
SCORES = [b"0", b"1", b"-1", b"2.5", b"3", b"1e3", b"-0", b"inf", b"-inf", b"nan", b"x"]
SCORE_BOUNDS = [b"-inf", b"+inf", b"0", b"1", b"(1", b"2.5", b"(3", b"x"]
LEX_BOUNDS = [b"-", b"+", b"[a", b"(b", b"[c", b"(e", b"x"]
PATTERNS = [b"*", b"s*", b"?1", b"[hz]*", b"{t}*", b"*1*"]
TYPES = [b"string", b"list", b"hash", b"set", b"zset"]
DB_CHOICES = [0] * 7 + [1]  # db 1 is used now and then (COPY DB, SELECT inside EXEC)


def key_of(draw, family=None):
    keys = ALL_KEYS if family is None else FAMILY_KEYS[family] + SHARED_KEYS
    return draw(st.sampled_from(keys))


def key_pair(draw):
    """Two keys, usually of one family (RENAME, COPY), so they rarely clobber other types."""
    if draw(st.integers(0, 4)) == 0:
        return [key_of(draw), key_of(draw)]
    family = draw(st.sampled_from(sorted(FAMILY_KEYS)))
    return [key_of(draw, family), key_of(draw, family)]


def string_keys(draw):
    return some(draw, FAMILY_KEYS["string"] + SHARED_KEYS)


def pick(draw, choices):
    return draw(st.sampled_from(choices))


def some(draw, choices, low=1, high=4):
    return draw(st.lists(st.sampled_from(choices), min_size=low, max_size=high))


def flags(draw, options):
    """A sub-list of optional flag words, kept in the given order."""
    return [option for option in options if draw(st.booleans())]


def maybe(draw, words):
    return list(words) if draw(st.booleans()) else []


def ttl_option(draw, now_ms):
    """One of EX / PX / EXAT / PXAT with a time close to the entry's."""
    kind = pick(draw, [b"EX", b"PX", b"EXAT", b"PXAT"])
    if kind == b"EX":
        return [kind, pick(draw, [b"1", b"2", b"5", b"0", b"-1"])]
    if kind == b"PX":
        return [kind, pick(draw, [b"1", b"500", b"1500", b"4000", b"0"])]
    delta_ms = draw(st.integers(-2000, 6000))
    if kind == b"EXAT":
        return [kind, b"%d" % ((now_ms + delta_ms) // 1000)]
    return [kind, b"%d" % (now_ms + delta_ms)]


def bulk(draw, prefix: bytes, pairs: bool = False):
    """Many distinct members at once, so containers cross their encoding thresholds."""
    start = draw(st.integers(0, 100))
    count = draw(st.sampled_from([20, 130, 600]))
    names = [b"%s%d" % (prefix, number) for number in range(start, start + count)]
    if not pairs:
        return names
    return [item for name in names for item in (name, name[::-1])]


# -- strings -------------------------------------------------------------------------------------
def set_command(draw, now):
    argv = [b"SET", key_of(draw, "string"), pick(draw, MEMBERS + INTEGERS)]
    argv += maybe(draw, [pick(draw, [b"NX", b"XX"])])
    choice = draw(st.integers(0, 2))
    if choice == 1:
        argv += ttl_option(draw, now)
    elif choice == 2:
        argv += [b"KEEPTTL"]
    return argv + maybe(draw, [b"GET"])


def getex_command(draw, now):
    argv = [b"GETEX", key_of(draw, "string")]
    choice = draw(st.integers(0, 2))
    if choice == 1:
        argv += ttl_option(draw, now)
    elif choice == 2:
        argv += [b"PERSIST"]
    return argv


STRINGS = {
    "set": set_command,
    "getex": getex_command,
    "get": lambda d, now: [b"GET", key_of(d, "string")],
    "setnx": lambda d, now: [b"SETNX", key_of(d, "string"), pick(d, MEMBERS)],
    "setex": lambda d, now: [b"SETEX", key_of(d, "string"), pick(d, [b"1", b"3", b"0"]), b"v"],
    "psetex": lambda d, now: [b"PSETEX", key_of(d, "string"), pick(d, [b"200", b"2500"]), b"v"],
    "getset": lambda d, now: [b"GETSET", key_of(d, "string"), pick(d, MEMBERS)],
    "getdel": lambda d, now: [b"GETDEL", key_of(d, "string")],
    "append": lambda d, now: [b"APPEND", key_of(d, "string"), pick(d, MEMBERS)],
    "incr": lambda d, now: [b"INCR", key_of(d, "string")],
    "incrby": lambda d, now: [b"INCRBY", key_of(d, "string"), pick(d, INTEGERS)],
    "decrby": lambda d, now: [b"DECRBY", key_of(d, "string"), pick(d, INTEGERS)],
    "incrbyfloat": lambda d, now: [b"INCRBYFLOAT", key_of(d, "string"), pick(d, SCORES)],
    "mset": lambda d, now: [b"MSET"] + [w for k in string_keys(d) for w in (k, b"m")],
    "msetnx": lambda d, now: [b"MSETNX"] + [w for k in string_keys(d) for w in (k, b"n")],
    "mget": lambda d, now: [b"MGET"] + some(d, ALL_KEYS),
    "strlen": lambda d, now: [b"STRLEN", key_of(d, "string")],
    "setrange": lambda d, now: [b"SETRANGE", key_of(d, "string"), pick(d, [b"0", b"3", b"9"]),
                                pick(d, MEMBERS)],
    "getrange": lambda d, now: [b"GETRANGE", key_of(d, "string"), pick(d, INTEGERS),
                                pick(d, INTEGERS)],
    "setbit": lambda d, now: [b"SETBIT", key_of(d, "string"), pick(d, [b"0", b"7", b"33"]),
                              pick(d, [b"0", b"1"])],
    "bitcount": lambda d, now: [b"BITCOUNT", key_of(d, "string")],
    "bitop": lambda d, now: [b"BITOP", pick(d, [b"AND", b"OR", b"XOR"]), key_of(d, "string")]
    + string_keys(d),
    "lcs": lambda d, now: [b"LCS", key_of(d, "string"), key_of(d, "string")]
    + maybe(d, [b"IDX", b"WITHMATCHLEN"]),
}


# -- lists ---------------------------------------------------------------------------------------
def lmpop_command(draw, now):
    keys = some(draw, FAMILY_KEYS["list"] + SHARED_KEYS, 1, 3)
    argv = [b"LMPOP", b"%d" % len(keys)] + keys + [pick(draw, [b"LEFT", b"RIGHT"])]
    return argv + maybe(draw, [b"COUNT", pick(draw, [b"1", b"3", b"0"])])


SIDES = [b"LEFT", b"RIGHT"]
LISTS = {
    "lpush": lambda d, now: [b"LPUSH", key_of(d, "list")] + some(d, MEMBERS),
    "rpush": lambda d, now: [b"RPUSH", key_of(d, "list")] + some(d, MEMBERS),
    "rpush_bulk": lambda d, now: [b"RPUSH", key_of(d, "list")] + bulk(d, b"i"),
    "lpushx": lambda d, now: [b"LPUSHX", key_of(d, "list"), pick(d, MEMBERS)],
    "rpushx": lambda d, now: [b"RPUSHX", key_of(d, "list"), pick(d, MEMBERS)],
    "lpop": lambda d, now: [b"LPOP", key_of(d, "list")] + maybe(d, [pick(d, COUNTS)]),
    "rpop": lambda d, now: [b"RPOP", key_of(d, "list")] + maybe(d, [pick(d, COUNTS)]),
    "lrange": lambda d, now: [b"LRANGE", key_of(d, "list"), pick(d, INTEGERS),
                              pick(d, INTEGERS)],
    "lindex": lambda d, now: [b"LINDEX", key_of(d, "list"), pick(d, INTEGERS)],
    "linsert": lambda d, now: [b"LINSERT", key_of(d, "list"), pick(d, [b"BEFORE", b"AFTER"]),
                               pick(d, MEMBERS), pick(d, MEMBERS)],
    "lset": lambda d, now: [b"LSET", key_of(d, "list"), pick(d, INTEGERS), pick(d, MEMBERS)],
    "ltrim": lambda d, now: [b"LTRIM", key_of(d, "list"), pick(d, INTEGERS), pick(d, INTEGERS)],
    "lrem": lambda d, now: [b"LREM", key_of(d, "list"), pick(d, COUNTS), pick(d, MEMBERS)],
    "lpos": lambda d, now: [b"LPOS", key_of(d, "list"), pick(d, MEMBERS)]
    + maybe(d, [b"RANK", pick(d, [b"1", b"-1", b"2"])]) + maybe(d, [b"COUNT", b"0"]),
    "lmove": lambda d, now: [b"LMOVE", key_of(d, "list"), key_of(d, "list"), pick(d, SIDES),
                             pick(d, SIDES)],
    "rpoplpush": lambda d, now: [b"RPOPLPUSH", key_of(d, "list"), key_of(d, "list")],
    "lmpop": lmpop_command,
    "llen": lambda d, now: [b"LLEN", key_of(d, "list")],
}


# -- hashes --------------------------------------------------------------------------------------
def hrandfield_command(draw, now):
    argv = [b"HRANDFIELD", key_of(draw, "hash")]
    if draw(st.booleans()):
        argv += [pick(draw, COUNTS)] + maybe(draw, [b"WITHVALUES"])
    return argv


def scan_options(draw):
    return maybe(draw, [b"MATCH", pick(draw, PATTERNS)]) + maybe(
        draw, [b"COUNT", pick(draw, [b"1", b"5", b"50"])])


def cursor(draw):
    return pick(draw, [b"0", b"0", b"123456789", b"4611686018427387904"])


HASHES = {
    "hset": lambda d, now: [b"HSET", key_of(d, "hash")]
    + [w for f in some(d, MEMBERS) for w in (f, pick(d, INTEGERS))],
    "hset_bulk": lambda d, now: [b"HSET", key_of(d, "hash")] + bulk(d, b"f", pairs=True),
    "hsetnx": lambda d, now: [b"HSETNX", key_of(d, "hash"), pick(d, MEMBERS), b"v"],
    "hdel": lambda d, now: [b"HDEL", key_of(d, "hash")] + some(d, MEMBERS),
    "hget": lambda d, now: [b"HGET", key_of(d, "hash"), pick(d, MEMBERS)],
    "hmget": lambda d, now: [b"HMGET", key_of(d, "hash")] + some(d, MEMBERS),
    "hgetall": lambda d, now: [b"HGETALL", key_of(d, "hash")],
    "hkeys": lambda d, now: [b"HKEYS", key_of(d, "hash")],
    "hvals": lambda d, now: [b"HVALS", key_of(d, "hash")],
    "hincrby": lambda d, now: [b"HINCRBY", key_of(d, "hash"), pick(d, MEMBERS),
                               pick(d, INTEGERS)],
    "hincrbyfloat": lambda d, now: [b"HINCRBYFLOAT", key_of(d, "hash"), pick(d, MEMBERS),
                                    pick(d, SCORES)],
    "hrandfield": hrandfield_command,
    "hscan": lambda d, now: [b"HSCAN", key_of(d, "hash"), cursor(d)] + scan_options(d),
    "hlen": lambda d, now: [b"HLEN", key_of(d, "hash")],
    "hstrlen": lambda d, now: [b"HSTRLEN", key_of(d, "hash"), pick(d, MEMBERS)],
}


# -- sets ----------------------------------------------------------------------------------------
def set_keys(draw, low=1, high=3):
    return some(draw, FAMILY_KEYS["set"] + SHARED_KEYS, low, high)


def sintercard_command(draw, now):
    keys = set_keys(draw)
    return [b"SINTERCARD", b"%d" % len(keys)] + keys + maybe(draw, [b"LIMIT", pick(draw, COUNTS)])


SETS = {
    "sadd": lambda d, now: [b"SADD", key_of(d, "set")] + some(d, MEMBERS, 1, 6),
    "sadd_bulk": lambda d, now: [b"SADD", key_of(d, "set")] + bulk(d, pick(d, [b"", b"m"])),
    "srem": lambda d, now: [b"SREM", key_of(d, "set")] + some(d, MEMBERS),
    "spop": lambda d, now: [b"SPOP", key_of(d, "set")],
    "spop_count": lambda d, now: [b"SPOP", key_of(d, "set"), pick(d, COUNTS)],
    "srandmember": lambda d, now: [b"SRANDMEMBER", key_of(d, "set")],
    "srandmember_count": lambda d, now: [b"SRANDMEMBER", key_of(d, "set"), pick(d, COUNTS)],
    "smembers": lambda d, now: [b"SMEMBERS", key_of(d, "set")],
    "sismember": lambda d, now: [b"SISMEMBER", key_of(d, "set"), pick(d, MEMBERS)],
    "smismember": lambda d, now: [b"SMISMEMBER", key_of(d, "set")] + some(d, MEMBERS),
    "scard": lambda d, now: [b"SCARD", key_of(d, "set")],
    "smove": lambda d, now: [b"SMOVE", key_of(d, "set"), key_of(d, "set"), pick(d, MEMBERS)],
    "sinter": lambda d, now: [b"SINTER"] + set_keys(d),
    "sunion": lambda d, now: [b"SUNION"] + set_keys(d),
    "sdiff": lambda d, now: [b"SDIFF"] + set_keys(d),
    "sinterstore": lambda d, now: [b"SINTERSTORE", key_of(d, "set")] + set_keys(d),
    "sunionstore": lambda d, now: [b"SUNIONSTORE", key_of(d, "set")] + set_keys(d),
    "sdiffstore": lambda d, now: [b"SDIFFSTORE", key_of(d, "set")] + set_keys(d),
    "sintercard": sintercard_command,
    "sscan": lambda d, now: [b"SSCAN", key_of(d, "set"), cursor(d)] + scan_options(d),
}


# -- sorted sets ---------------------------------------------------------------------------------
def zadd_command(draw, now):
    argv = [b"ZADD", key_of(draw, "zset")]
    argv += maybe(draw, [pick(draw, [b"NX", b"XX"])]) + maybe(draw, [pick(draw, [b"GT", b"LT"])])
    argv += maybe(draw, [b"CH"])
    if draw(st.integers(0, 4)) == 0:
        return argv + [b"INCR", pick(draw, SCORES), pick(draw, MEMBERS)]
    return argv + [w for m in some(draw, MEMBERS) for w in (pick(draw, SCORES[:-2]), m)]


def zset_keys(draw, low=1, high=3):
    return some(draw, FAMILY_KEYS["zset"] + SHARED_KEYS + [b"S1"], low, high)


def zstore_command(draw, now):
    keys = zset_keys(draw)
    argv = [pick(draw, [b"ZUNIONSTORE", b"ZINTERSTORE"]), key_of(draw, "zset"), b"%d" % len(keys)]
    argv += keys + maybe(draw, [b"WEIGHTS"] + [pick(draw, [b"1", b"2", b"-1"]) for _ in keys])
    return argv + maybe(draw, [b"AGGREGATE", pick(draw, [b"SUM", b"MIN", b"MAX"])])


def zcombine_command(draw, now):
    keys = zset_keys(draw)
    name = pick(draw, [b"ZUNION", b"ZINTER", b"ZDIFF"])
    return [name, b"%d" % len(keys)] + keys + maybe(draw, [b"WITHSCORES"])


def zrange_command(draw, now):
    argv = [b"ZRANGE", key_of(draw, "zset")]
    mode = draw(st.integers(0, 2))
    if mode == 0:
        argv += [pick(draw, INTEGERS), pick(draw, INTEGERS)]
    elif mode == 1:
        argv += [pick(draw, SCORE_BOUNDS), pick(draw, SCORE_BOUNDS), b"BYSCORE"]
    else:
        argv += [pick(draw, LEX_BOUNDS), pick(draw, LEX_BOUNDS), b"BYLEX"]
    argv += maybe(draw, [b"REV"]) + maybe(draw, [b"LIMIT", pick(draw, INTEGERS), b"2"])
    return argv + (maybe(draw, [b"WITHSCORES"]) if mode != 2 else [])


def zmpop_command(draw, now):
    keys = zset_keys(draw)
    argv = [b"ZMPOP", b"%d" % len(keys)] + keys + [pick(draw, [b"MIN", b"MAX"])]
    return argv + maybe(draw, [b"COUNT", pick(draw, [b"1", b"2", b"10"])])


def zrandmember_command(draw, now):
    argv = [b"ZRANDMEMBER", key_of(draw, "zset")]
    if draw(st.booleans()):
        argv += [pick(draw, COUNTS)] + maybe(draw, [b"WITHSCORES"])
    return argv


ZSETS = {
    "zadd": zadd_command,
    "zadd_bulk": lambda d, now: [b"ZADD", key_of(d, "zset")]
    + [w for m in bulk(d, b"z") for w in (b"%d" % (len(m) % 7), m)],
    "zincrby": lambda d, now: [b"ZINCRBY", key_of(d, "zset"), pick(d, SCORES),
                               pick(d, MEMBERS)],
    "zrem": lambda d, now: [b"ZREM", key_of(d, "zset")] + some(d, MEMBERS),
    "zrange": zrange_command,
    "zrangestore": lambda d, now: [b"ZRANGESTORE", key_of(d, "zset"), key_of(d, "zset"),
                                   pick(d, INTEGERS), pick(d, INTEGERS)],
    "zpopmin": lambda d, now: [b"ZPOPMIN", key_of(d, "zset")] + maybe(d, [pick(d, COUNTS)]),
    "zpopmax": lambda d, now: [b"ZPOPMAX", key_of(d, "zset")] + maybe(d, [pick(d, COUNTS)]),
    "zrandmember": zrandmember_command,
    "zstore": zstore_command,
    "zdiffstore": lambda d, now: [b"ZDIFFSTORE", key_of(d, "zset"), b"2", key_of(d, "zset"),
                                  key_of(d, "zset")],
    "zcombine": zcombine_command,
    "zmpop": zmpop_command,
    "zremrangebyscore": lambda d, now: [b"ZREMRANGEBYSCORE", key_of(d, "zset"),
                                        pick(d, SCORE_BOUNDS), pick(d, SCORE_BOUNDS)],
    "zremrangebyrank": lambda d, now: [b"ZREMRANGEBYRANK", key_of(d, "zset"),
                                       pick(d, INTEGERS), pick(d, INTEGERS)],
    "zremrangebylex": lambda d, now: [b"ZREMRANGEBYLEX", key_of(d, "zset"), pick(d, LEX_BOUNDS),
                                      pick(d, LEX_BOUNDS)],
    "zscan": lambda d, now: [b"ZSCAN", key_of(d, "zset"), cursor(d)] + scan_options(d),
    "zmscore": lambda d, now: [b"ZMSCORE", key_of(d, "zset")] + some(d, MEMBERS),
    "zrank": lambda d, now: [pick(d, [b"ZRANK", b"ZREVRANK"]), key_of(d, "zset"),
                             pick(d, MEMBERS)],
    "zcount": lambda d, now: [b"ZCOUNT", key_of(d, "zset"), pick(d, SCORE_BOUNDS),
                              pick(d, SCORE_BOUNDS)],
}


# -- keys ----------------------------------------------------------------------------------------
def expire_command(draw, now):
    name = pick(draw, [b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"])
    if name == b"EXPIRE":
        amount = pick(draw, [b"0", b"1", b"2", b"5", b"-1", b"100"])
    elif name == b"PEXPIRE":
        amount = pick(draw, [b"0", b"1", b"500", b"1500", b"3000", b"-5"])
    else:
        when_ms = now + draw(st.integers(-3000, 6000))
        amount = b"%d" % (when_ms // 1000 if name == b"EXPIREAT" else when_ms)
    argv = [name, key_of(draw), amount]
    return argv + maybe(draw, [pick(draw, [b"NX", b"XX", b"GT", b"LT"])])


def scan_command(draw, now):
    argv = [b"SCAN", cursor(draw)] + scan_options(draw)
    return argv + maybe(draw, [b"TYPE", pick(draw, TYPES)])


def copy_command(draw, now):
    argv = [b"COPY"] + key_pair(draw)
    return argv + maybe(draw, [b"DB", pick(draw, [b"0", b"1"])]) + maybe(draw, [b"REPLACE"])


KEYSPACE = {
    "del": lambda d, now: [b"DEL"] + some(d, ALL_KEYS),
    "unlink": lambda d, now: [b"UNLINK"] + some(d, ALL_KEYS),
    "exists": lambda d, now: [b"EXISTS"] + some(d, ALL_KEYS),
    "type": lambda d, now: [b"TYPE", key_of(d)],
    "ttl": lambda d, now: [pick(d, [b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"]), key_of(d)],
    "expire": expire_command,
    "expire_again": expire_command,
    "persist": lambda d, now: [b"PERSIST", key_of(d)],
    "rename": lambda d, now: [pick(d, [b"RENAME", b"RENAMENX"])] + key_pair(d),
    "copy": copy_command,
    "randomkey": lambda d, now: [b"RANDOMKEY"],
    "keys": lambda d, now: [b"KEYS", pick(d, PATTERNS)],
    "scan": scan_command,
    "object": lambda d, now: [b"OBJECT", b"ENCODING", key_of(d)],
    "touch": lambda d, now: [b"TOUCH"] + some(d, ALL_KEYS),
    "dbsize": lambda d, now: [b"DBSIZE"],
    "flushdb": lambda d, now: [b"FLUSHDB"],
}

# Adding commands appear several times in their family, so containers grow between the
# commands that shrink or delete them.
ADDERS = ((STRINGS, ("set",), 2), (LISTS, ("lpush", "rpush"), 3), (HASHES, ("hset",), 4),
          (SETS, ("sadd",), 6), (ZSETS, ("zadd", "zincrby"), 3))
for _family, _names, _copies in ADDERS:
    for _name in _names:
        for _copy in range(1, _copies):
            _family["%s_%d" % (_name, _copy)] = _family[_name]
FAMILIES = {"string": STRINGS, "list": LISTS, "hash": HASHES, "set": SETS, "zset": ZSETS,
            "keyspace": KEYSPACE}
# Sets and sorted sets carry most of the order-sensitive code: drawn more often.
FAMILY_WEIGHTS = ["string", "list", "hash", "set", "set", "zset", "zset", "keyspace"]
RARE = {"flushdb": KEYSPACE.pop("flushdb")}
for _family in (LISTS, HASHES, SETS, ZSETS):
    for _name in [name for name in _family if name.endswith("_bulk")]:
        RARE[_name] = _family.pop(_name)
FAMILY_NAMES = {family: sorted(builders) for family, builders in FAMILIES.items()}
RARE_NAMES = sorted(RARE)


def is_write(argv) -> bool:
    return COMMANDS[argv[0].lower()].is_write


@st.composite
def commands(draw, now_ms: int):
    """One argv (a list of bytes) whose times are relative to now_ms."""
    if draw(st.integers(0, 60)) == 0:
        name = draw(st.sampled_from(RARE_NAMES))
        if name != "flushdb" or draw(st.integers(0, 4)) == 0:
            return RARE[name](draw, now_ms)
    family = draw(st.sampled_from(FAMILY_WEIGHTS))
    name = draw(st.sampled_from(FAMILY_NAMES[family]))
    return FAMILIES[family][name](draw, now_ms)


@st.composite
def reads(draw, now_ms: int):
    """A read-only command, retried a bounded number of times."""
    for _ in range(20):
        argv = draw(commands(now_ms))
        if not is_write(argv):
            return argv
    return [b"DBSIZE"]


def watches(draw, machine: StateMachine):
    """[db, key, version] triples: mostly the version the key has in `machine` (the state
    before this entry), as a client's WATCH would have seen it, else an arbitrary one."""
    watched = []
    for _ in range(draw(st.integers(0, 3))):
        db_index, key = draw(st.sampled_from([0, 1])), draw(st.sampled_from(ALL_KEYS))
        if draw(st.integers(0, 3)) == 0:
            version = draw(st.integers(0, 60))
        else:
            version = machine.key_version(db_index, key)
        watched.append([db_index, key, version])
    return watched


@st.composite
def exec_ops(draw, now_ms: int, machine: StateMachine):
    """(OP_EXEC, db, watches, [argv, ...]), sometimes with a SELECT in the middle."""
    queued = draw(st.lists(commands(now_ms), min_size=1, max_size=5))
    if draw(st.integers(0, 4)) == 0:
        queued.insert(draw(st.integers(0, len(queued))), [b"SELECT", pick(draw, [b"0", b"1"])])
    return (OP_EXEC, draw(st.sampled_from(DB_CHOICES)), watches(draw, machine), queued)


@st.composite
def operations(draw, now_ms: int, machine: StateMachine):
    kind = draw(st.integers(0, 19))
    if kind < 15:
        return (OP_COMMAND, draw(st.sampled_from(DB_CHOICES)), draw(commands(now_ms)))
    if kind < 18:
        return draw(exec_ops(now_ms, machine))
    if kind < 19:
        return (OP_EXPIRE, 0, draw(st.sampled_from([1, 3, 200])))
    return (OP_NOOP, 0, None)


def entry_ids(draw):
    """Most entries carry an id (node, counter); a repeated id is refused as a duplicate."""
    if draw(st.integers(0, 4)) == 0:
        return None
    return b"n%d:%d" % (draw(st.integers(0, 1)), draw(st.integers(0, 400)))


@st.composite
def entries(draw, now_ms: int, machine: StateMachine):
    ops = draw(st.lists(operations(now_ms, machine), min_size=1, max_size=8))
    return encode_entry(now_ms, draw(st.integers(0, SEED_MAX)), ops, entry_ids(draw))


def next_time(draw, now_ms: int) -> int:
    """Time mostly moves forward in small steps; a leader change may show an older clock."""
    step = draw(st.sampled_from([0, 1, 200, 700, 1000, 2500, -1500]))
    return now_ms + step


class Log(list):
    """A log with a short repr: the tests print the items that matter on failure."""

    def __repr__(self):
        return "<log: %d items, %d operations>" % (len(self), operation_count(self))


@st.composite
def logs(draw, min_items: int = 10, max_items: int = 70, start_ms: int = T0_MS):
    """A list of log items (see the module docstring): about 200 operations on average.
    The entries are applied to a machine as they are drawn, so that WATCHes can name the
    versions keys really have."""
    machine = StateMachine()
    now_ms = start_ms
    items = []
    for _ in range(draw(st.integers(min_items, max_items))):
        now_ms = next_time(draw, now_ms)
        if draw(st.integers(0, 6)) == 0:
            db = draw(st.sampled_from(DB_CHOICES))
            items.append(("r", db, draw(reads(now_ms)), now_ms, draw(st.integers(0, SEED_MAX))))
        else:
            blob = draw(entries(now_ms, machine))
            machine.apply_entry(blob)
            items.append(("e", blob))
    return Log(items)


def replay(machine: StateMachine, log) -> list:
    """Apply a log; returns one RESP3 encoding per item (the replies of its operations)."""
    replies = []
    for item in log:
        if item[0] == "e":
            replies.append(encode(machine.apply_entry(item[1]), 3))
        else:
            _, db, argv, now_ms, seed = item
            replies.append(encode(machine.read(db, argv, now_ms, seed), 3))
    return replies


def replies_hash(replies: list) -> str:
    hasher = hashlib.sha256()
    for reply in replies:
        hasher.update(len(reply).to_bytes(8, "big"))
        hasher.update(reply)
    return hasher.hexdigest()


def describe_item(item) -> str:
    if item[0] == "r":
        return "local read db=%d argv=%r now_ms=%d seed=%d" % item[1:]
    _, now_ms, seed, ops, entry_id = decode_entry(item[1])
    return "entry now_ms=%d seed=%d id=%r ops=%r" % (now_ms, seed, entry_id, ops)


def operation_count(log) -> int:
    return sum(len(decode_entry(item[1])[3]) if item[0] == "e" else 1 for item in log)


def one_op_per_entry(log) -> list:
    """The log with every operation in its own entry (same time, same op seed, an entry id
    derived from the original one), so single operations can be removed one by one. It
    applies like the original except in rare duplicate-id cases: minimal_log checks that it
    still fails."""
    items = []
    for item in log:
        if item[0] == "r":
            items.append(item)
            continue
        _, now_ms, seed, ops, entry_id = decode_entry(item[1])
        for position, op in enumerate(ops):
            part_id = None if entry_id is None else b"%s#%d" % (entry_id, position)
            items.append(("e", encode_entry(now_ms, op_seed(seed, position), [op], part_id)))
    return items


def minimal_log(log, failing, budget_s: float = 60.0) -> list:
    """A small sublog that still fails. `failing(candidates)` returns one bool per candidate
    log, so a caller can test a whole round at once. Chunks of items are removed, halving the
    chunk size when no removal keeps the failure; bounded by budget_s."""
    split = one_op_per_entry(log)
    if failing([split]) == [True]:
        log = split
    deadline = time.monotonic() + budget_s
    chunk = max(len(log) // 2, 1)
    while chunk >= 1 and time.monotonic() < deadline:
        candidates = [log[:start] + log[start + chunk:] for start in range(0, len(log), chunk)]
        smaller = next((c for c, bad in zip(candidates, failing(candidates)) if bad), None)
        if smaller is None:
            chunk //= 2
        else:
            log = smaller
            chunk = min(chunk, max(len(log) // 2, 1))
    return Log(log)


def check_log(log, problem, budget_s: float = 60.0):
    """Fail the test if problem(log) describes a failure (it returns None when all is well),
    showing a minimal log that still fails and what goes wrong with it."""
    found = problem(log)
    if found is None:
        return
    minimal = minimal_log(
        log, lambda candidates: [problem(c) is not None for c in candidates], budget_s)
    lines = ["%s\nminimal failing log (%d items):" % (problem(minimal), len(minimal))]
    lines += ["  " + describe_item(item) for item in minimal]
    pytest.fail("\n".join(lines))
