"""Hypothesis strategies for command sequences, one family at a time, over a tiny key space.

Four keys only, so types collide (WRONGTYPE) and multi-key commands find their sources.  Every
family mixes in a few creators of other types and some malformed calls (random arguments after
a real command name) so argument checking and error precedence are exercised too; arguments are
mostly valid so that sequences build real state.  Commands whose output is random (SPOP,
SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY) are never generated; expiry times are far in
the future (or in the past) so nothing expires while a sequence runs.
"""
from hypothesis import strategies as st

KEYS = [b"a", b"b", b"c", b"d"]
WORDS = [b"", b"x", b"ab", b"hello", b"a b", b"\x00\xff", b"ohmytext", b"mynewtext"]
PLAIN_NUMBERS = [b"0", b"1", b"-1", b"7", b"10", b"-10", b"100", b"1.5", b"-2.25"]
ODD_NUMBERS = [b"3.0", b"1e3", b"0x10", b" 1", b"+1", b"-0", b"9223372036854775807",
               b"-9223372036854775808", b"9223372036854775808", b"inf", b"-inf", b"nan",
               b"1.7976931348623157e308", b"1e400", b"007"]
JUNK_INTEGERS = [b"x", b"", b"1.5", b"9223372036854775807", b"-9223372036854775808",
                 b"9223372036854775808", b" 2"]
OPTION_WORDS = [b"NX", b"XX", b"GT", b"LT", b"CH", b"GET", b"EX", b"PX", b"KEEPTTL", b"LIMIT",
                b"COUNT", b"WITHSCORES", b"BYSCORE", b"BYLEX", b"REV", b"LEFT", b"RIGHT", b"MIN",
                b"MAX", b"BYTE", b"BIT", b"REPLACE", b"DB", b"MATCH", b"TYPE", b"WEIGHTS",
                b"AGGREGATE", b"SUM", b"BEFORE", b"AFTER", b"RANK", b"MAXLEN", b"LEN", b"IDX"]
FAR_FUTURE_S = b"4102444800"  # 2100-01-01
FAR_FUTURE_MS = b"4102444800000"


# ---------------------------------------------------------------------------------------------
# Building blocks

def weighted(*pairs):
    """st.one_of where each (weight, strategy) pair is drawn about `weight` times as often."""
    return st.one_of(*[strategy for weight, strategy in pairs for _ in range(weight)])


def mostly(valid, *invalid):
    """Usually `valid` (a strategy), sometimes one of the `invalid` byte strings."""
    return weighted((6, valid), (1, st.sampled_from(list(invalid))))


def one_of_values(*values):
    return st.sampled_from(list(values))


def encoded_ints(low, high):
    return st.integers(low, high).map(lambda n: str(n).encode())


def _flatten(parts):
    out = []
    for part in parts:
        if isinstance(part, bytes):
            out.append(part)
        else:
            out.extend(_flatten(part))
    return out


def cmd(name, *parts):
    """A command: `name` then one argument (or a tuple/list of arguments) drawn from each part."""
    parts = [st.just(p) if isinstance(p, bytes) else p for p in parts]
    return st.tuples(*parts).map(lambda drawn: tuple([name] + _flatten(drawn)))


def optional(part):
    return st.one_of(st.just(()), part)


def pair(word, values):
    """An option with one argument, e.g. ("LIMIT", n)."""
    return st.tuples(st.just(word), values)


def options(*groups, max_size=2):
    """Zero or more option groups (each a bytes word or a strategy), any order, repeats allowed."""
    choices = [st.just((g,)) if isinstance(g, bytes) else g for g in groups]
    return st.lists(st.one_of(*choices), max_size=max_size)


def malformed(names):
    """A real command name followed by random arguments."""
    return st.tuples(st.sampled_from(names), st.lists(token, max_size=5)).map(
        lambda drawn: tuple([drawn[0]] + drawn[1]))


def sequences(commands):
    """1..40 commands, built from chunks so typical sequences are long enough to build state."""
    return st.lists(st.lists(commands, min_size=1, max_size=10), min_size=1, max_size=4).map(
        lambda chunks: [command for chunk in chunks for command in chunk])


key = st.sampled_from(KEYS)
# Cursors that mean "start" (or are invalid): a non-zero cursor the server did not hand out has
# an implementation-defined meaning, so SCAN-family commands never get one.
scan_cursor = mostly(st.just(b"0"), b"00", b"+0", b"-0", b"x", b"", b" 0", b"18446744073709551616")
value = weighted((2, st.sampled_from(WORDS)), (2, st.sampled_from(PLAIN_NUMBERS)),
                 (1, st.sampled_from(ODD_NUMBERS)))
small_int = encoded_ints(-4, 6)
integer_arg = mostly(small_int, *JUNK_INTEGERS)
count_arg = mostly(encoded_ints(0, 4), b"-1", b"x", b"100")
token = st.sampled_from(KEYS + WORDS + PLAIN_NUMBERS + ODD_NUMBERS + OPTION_WORDS)


def keys(min_size=1, max_size=3):
    return st.lists(key, min_size=min_size, max_size=max_size)


def numkeys_and_keys(max_size=3):
    """`numkeys key...` mostly consistent, sometimes not (numkeys errors)."""
    good = keys(1, max_size).map(lambda ks: (str(len(ks)).encode(), ks))
    bad = st.tuples(one_of_values(b"0", b"-1", b"x", b"5"), keys(1, max_size))
    return weighted((4, good), (1, bad))


# ---------------------------------------------------------------------------------------------
# Creators of each type (mixed into other families to make WRONGTYPE happen).

creators = st.one_of(
    cmd(b"SET", key, value),
    cmd(b"RPUSH", key, value),
    cmd(b"SADD", key, value),
    cmd(b"HSET", key, value, value),
    cmd(b"ZADD", key, small_int, value),
)

# ---------------------------------------------------------------------------------------------
# Strings

ttl_seconds = mostly(one_of_values(b"1000", b"100000"), b"0", b"-5", b"x", b"9223372036854775807")
ttl_millis = mostly(st.just(b"1000000"), b"0", b"-5", b"x", b"9223372036854775807")
set_options = options(
    b"NX", b"XX", b"GET", b"KEEPTTL",
    pair(b"EX", ttl_seconds), pair(b"PX", ttl_millis),
    pair(b"EXAT", one_of_values(FAR_FUTURE_S, b"1", b"0")),
    pair(b"PXAT", one_of_values(FAR_FUTURE_MS, b"1")))
getex_options = options(
    b"PERSIST", pair(b"EX", ttl_seconds), pair(b"PX", ttl_millis),
    pair(b"EXAT", one_of_values(FAR_FUTURE_S, b"1")))
increment = mostly(one_of_values(b"1", b"-1", b"5", b"100"),
                   b"9223372036854775807", b"-9223372036854775808", b"x", b"1.5", b"")
float_increment = mostly(one_of_values(b"1", b"0.1", b"-2.5", b"1e3", b"5.0e3", b"-0"),
                         b"inf", b"nan", b"x", b"1.7976931348623157e308", b"0x10", b" 1")
offset = mostly(encoded_ints(0, 12), b"-1", b"x", b"536870912")
key_value_pairs = st.lists(st.tuples(key, value), min_size=1, max_size=3)
lcs_options = options(b"LEN", b"IDX", b"WITHMATCHLEN",
                      pair(b"MINMATCHLEN", one_of_values(b"0", b"2", b"-1", b"x")), max_size=3)

STRING_NAMES = [b"SET", b"GET", b"GETDEL", b"GETSET", b"GETEX", b"SETNX", b"SETEX", b"PSETEX",
                b"MSET", b"MSETNX", b"MGET", b"APPEND", b"STRLEN", b"INCR", b"DECR", b"INCRBY",
                b"DECRBY", b"INCRBYFLOAT", b"GETRANGE", b"SUBSTR", b"SETRANGE", b"LCS"]

string_commands = weighted(
    (4, cmd(b"SET", key, value)),
    (3, cmd(b"SET", key, value, set_options)),
    (3, cmd(b"GET", key)),
    (1, cmd(b"GETDEL", key)),
    (1, cmd(b"GETSET", key, value)),
    (1, cmd(b"GETEX", key, getex_options)),
    (1, cmd(b"SETNX", key, value)),
    (1, cmd(b"SETEX", key, ttl_seconds, value)),
    (1, cmd(b"PSETEX", key, ttl_millis, value)),
    (1, cmd(b"MSET", key_value_pairs)),
    (1, cmd(b"MSETNX", key_value_pairs)),
    (2, cmd(b"MGET", keys())),
    (2, cmd(b"APPEND", key, value)),
    (1, cmd(b"STRLEN", key)),
    (2, cmd(b"INCR", key)),
    (1, cmd(b"DECR", key)),
    (2, cmd(b"INCRBY", key, increment)),
    (1, cmd(b"DECRBY", key, increment)),
    (2, cmd(b"INCRBYFLOAT", key, float_increment)),
    (2, cmd(b"GETRANGE", key, integer_arg, integer_arg)),
    (1, cmd(b"SUBSTR", key, integer_arg, integer_arg)),
    (2, cmd(b"SETRANGE", key, offset, value)),
    (2, cmd(b"LCS", key, key, lcs_options)),
    (1, cmd(b"TTL", key)),
    (1, creators),
    (1, malformed(STRING_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Keyspace

expire_flags = options(b"NX", b"XX", b"GT", b"LT")
patterns = one_of_values(b"*", b"a*", b"?", b"[ab]", b"[^a]", b"*[", b"\\a", b"b?", b"[a-c]")
type_names = one_of_values(b"string", b"list", b"set", b"zset", b"hash", b"stream", b"nosuch")
scan_options = options(
    pair(b"MATCH", patterns),
    pair(b"COUNT", mostly(one_of_values(b"100", b"1000"), b"0", b"x")),
    pair(b"TYPE", type_names), max_size=3)
readers = st.one_of(
    cmd(b"GET", key), cmd(b"LRANGE", key, b"0", b"-1"), cmd(b"SMEMBERS", key),
    cmd(b"HGETALL", key), cmd(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"))

KEY_NAMES = [b"DEL", b"UNLINK", b"EXISTS", b"TYPE", b"RENAME", b"RENAMENX", b"COPY", b"PERSIST",
             b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT", b"TTL", b"PTTL", b"EXPIRETIME",
             b"TOUCH", b"KEYS", b"DBSIZE", b"SELECT"]

key_commands = weighted(
    (1, cmd(b"DEL", keys())),
    (1, cmd(b"UNLINK", keys())),
    (2, cmd(b"EXISTS", keys())),
    (2, cmd(b"TYPE", key)),
    (2, cmd(b"RENAME", key, key)),
    (2, cmd(b"RENAMENX", key, key)),
    (2, cmd(b"COPY", key, key, options(
        b"REPLACE", pair(b"DB", mostly(one_of_values(b"0", b"1"), b"x", b"-1", b"16"))))),
    (1, cmd(b"PERSIST", key)),
    (2, cmd(b"EXPIRE", key, ttl_seconds, expire_flags)),
    (1, cmd(b"PEXPIRE", key, ttl_millis, expire_flags)),
    (1, cmd(b"EXPIREAT", key, mostly(st.just(FAR_FUTURE_S), b"1", b"x"), expire_flags)),
    (1, cmd(b"PEXPIREAT", key, mostly(st.just(FAR_FUTURE_MS), b"1"), expire_flags)),
    (2, cmd(b"TTL", key)),
    (1, cmd(b"PTTL", key)),
    (1, cmd(b"EXPIRETIME", key)),
    (1, cmd(b"PEXPIRETIME", key)),
    (1, cmd(b"TOUCH", keys())),
    (2, cmd(b"KEYS", patterns)),
    (1, cmd(b"DBSIZE")),
    (2, cmd(b"SCAN", scan_cursor, scan_options)),
    (1, cmd(b"SELECT", mostly(one_of_values(b"0", b"1"), b"16", b"x"))),
    (2, cmd(b"SET", key, value, optional(pair(b"EX", ttl_seconds)))),
    (5, creators),
    (3, readers),
    (1, malformed(KEY_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Lists

element = one_of_values(b"x", b"y", b"z", b"1", b"2", b"")
elements = st.lists(element, min_size=1, max_size=4)
side = one_of_values(b"LEFT", b"RIGHT")
lpos_options = options(
    pair(b"RANK", mostly(one_of_values(b"1", b"2", b"-1", b"-2"), b"0", b"x")),
    pair(b"COUNT", mostly(one_of_values(b"0", b"1", b"2"), b"-1")),
    pair(b"MAXLEN", mostly(one_of_values(b"0", b"1", b"3"), b"-1")), max_size=3)

LIST_NAMES = [b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX", b"LPOP", b"RPOP", b"LLEN", b"LINDEX",
              b"LINSERT", b"LRANGE", b"LSET", b"LTRIM", b"LREM", b"LPOS", b"LMOVE", b"RPOPLPUSH",
              b"LMPOP"]

list_commands = weighted(
    (4, cmd(b"LPUSH", key, elements)),
    (4, cmd(b"RPUSH", key, elements)),
    (1, cmd(b"LPUSHX", key, elements)),
    (1, cmd(b"RPUSHX", key, elements)),
    (2, cmd(b"LPOP", key, optional(count_arg))),
    (2, cmd(b"RPOP", key, optional(count_arg))),
    (1, cmd(b"LLEN", key)),
    (2, cmd(b"LINDEX", key, integer_arg)),
    (2, cmd(b"LINSERT", key, mostly(one_of_values(b"BEFORE", b"AFTER", b"before"), b"MIDDLE"),
            element, element)),
    (3, cmd(b"LRANGE", key, integer_arg, integer_arg)),
    (2, cmd(b"LSET", key, integer_arg, element)),
    (2, cmd(b"LTRIM", key, integer_arg, integer_arg)),
    (2, cmd(b"LREM", key, integer_arg, element)),
    (2, cmd(b"LPOS", key, element, lpos_options)),
    (2, cmd(b"LMOVE", key, key, side, side)),
    (1, cmd(b"RPOPLPUSH", key, key)),
    (2, cmd(b"LMPOP", numkeys_and_keys(), side, optional(pair(b"COUNT", count_arg)))),
    (1, cmd(b"SET", key, value)),
    (1, cmd(b"SADD", key, element)),
    (3, cmd(b"LRANGE", key, b"0", b"-1")),
    (1, malformed(LIST_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Hashes

hash_field = one_of_values(b"f1", b"f2", b"f3", b"1", b"")
hash_fields = st.lists(hash_field, min_size=1, max_size=3)
field_values = st.lists(st.tuples(hash_field, value), min_size=1, max_size=3)
hash_scan_options = options(
    pair(b"MATCH", one_of_values(b"*", b"f*", b"?", b"[f1]*")),
    pair(b"COUNT", mostly(st.just(b"100"), b"0", b"x")))

HASH_NAMES = [b"HSET", b"HMSET", b"HSETNX", b"HGET", b"HMGET", b"HDEL", b"HEXISTS", b"HLEN",
              b"HSTRLEN", b"HINCRBY", b"HINCRBYFLOAT", b"HKEYS", b"HVALS", b"HGETALL"]

hash_commands = weighted(
    (5, cmd(b"HSET", key, field_values)),
    (1, cmd(b"HMSET", key, field_values)),
    (2, cmd(b"HSETNX", key, hash_field, value)),
    (2, cmd(b"HGET", key, hash_field)),
    (1, cmd(b"HMGET", key, hash_fields)),
    (2, cmd(b"HDEL", key, hash_fields)),
    (1, cmd(b"HEXISTS", key, hash_field)),
    (1, cmd(b"HLEN", key)),
    (1, cmd(b"HSTRLEN", key, hash_field)),
    (3, cmd(b"HINCRBY", key, hash_field, increment)),
    (3, cmd(b"HINCRBYFLOAT", key, hash_field, float_increment)),
    (1, cmd(b"HKEYS", key)),
    (1, cmd(b"HVALS", key)),
    (3, cmd(b"HGETALL", key)),
    (1, cmd(b"HSCAN", key, scan_cursor, hash_scan_options)),
    (1, cmd(b"SET", key, value)),
    (1, cmd(b"RPUSH", key, value)),
    (1, malformed(HASH_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Sets

member = one_of_values(b"1", b"2", b"3", b"-1", b"10", b"x", b"y", b"z", b"")
members = st.lists(member, min_size=1, max_size=4)

SET_NAMES = [b"SADD", b"SREM", b"SISMEMBER", b"SMISMEMBER", b"SCARD", b"SMEMBERS", b"SMOVE",
             b"SINTER", b"SUNION", b"SDIFF", b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE",
             b"SINTERCARD"]

set_commands = weighted(
    (6, cmd(b"SADD", key, members)),
    (2, cmd(b"SREM", key, members)),
    (1, cmd(b"SISMEMBER", key, member)),
    (1, cmd(b"SMISMEMBER", key, members)),
    (1, cmd(b"SCARD", key)),
    (3, cmd(b"SMEMBERS", key)),
    (2, cmd(b"SMOVE", key, key, member)),
    (2, cmd(b"SINTER", keys())),
    (2, cmd(b"SUNION", keys())),
    (2, cmd(b"SDIFF", keys())),
    (1, cmd(b"SINTERSTORE", key, keys())),
    (1, cmd(b"SUNIONSTORE", key, keys())),
    (1, cmd(b"SDIFFSTORE", key, keys())),
    (2, cmd(b"SINTERCARD", numkeys_and_keys(),
            optional(pair(b"LIMIT", mostly(one_of_values(b"0", b"1", b"2"), b"-1", b"x"))))),
    (1, cmd(b"SSCAN", key, scan_cursor, optional(pair(b"MATCH", one_of_values(b"*", b"1*", b"?",
                                                                      b"[xy]"))))),
    (1, cmd(b"SET", key, value)),
    (1, cmd(b"RPUSH", key, member)),
    (1, cmd(b"HSET", key, member, value)),
    (1, malformed(SET_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Sorted sets

score = mostly(
    weighted((3, encoded_ints(-2, 3)), (1, one_of_values(b"1.5", b"-2.5", b"0.1", b"1e2", b"3.0")),
             (1, one_of_values(b"+inf", b"-inf", b"inf"))),
    b"nan", b"x", b"(1", b"1.7976931348623157e308")
zmember = one_of_values(b"a", b"b", b"c", b"d", b"e", b"1")
zmembers = st.lists(zmember, min_size=1, max_size=3)
score_members = st.lists(st.tuples(score, zmember), min_size=1, max_size=3)
score_bound = mostly(
    one_of_values(b"-inf", b"+inf", b"0", b"1", b"(1", b"2", b"(2", b"1.5", b"-1", b"(-inf",
                  b"3", b"inf"),
    b"x", b"(", b"nan")
lex_bound = mostly(one_of_values(b"-", b"+", b"[a", b"(a", b"[c", b"(c", b"[b", b"(e", b"[1"),
                   b"[", b"a")
limit = st.tuples(st.just(b"LIMIT"), mostly(one_of_values(b"0", b"1"), b"-1", b"x"),
                  mostly(one_of_values(b"1", b"2", b"-1", b"0"), b"x"))
zadd_options = options(b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", max_size=3)
zrange_by_rank = st.tuples(integer_arg, integer_arg, options(b"REV", b"WITHSCORES"))
zrange_by_score = st.tuples(score_bound, score_bound, st.just(b"BYSCORE"),
                            options(b"REV", b"WITHSCORES", limit, max_size=3))
zrange_by_lex = st.tuples(lex_bound, lex_bound, st.just(b"BYLEX"),
                          options(b"REV", b"REV", b"REV", b"WITHSCORES", limit, max_size=3))
zrange_args = st.one_of(zrange_by_rank, zrange_by_score, zrange_by_lex)
zstore_range_args = st.one_of(zrange_by_rank, zrange_by_score, zrange_by_lex).map(
    lambda drawn: drawn[:-1] + ([o for o in drawn[-1] if o != b"WITHSCORES"],))
weight = mostly(one_of_values(b"1", b"2", b"0", b"-1", b"0.5"), b"inf", b"x")
aggregate = pair(b"AGGREGATE", mostly(one_of_values(b"SUM", b"MIN", b"MAX"), b"AVG"))


def _weights(count):
    """WEIGHTS with one weight per key, or sometimes a wrong number of them."""
    return pair(b"WEIGHTS", weighted((5, st.lists(weight, min_size=count, max_size=count)),
                                     (1, st.lists(weight, min_size=1, max_size=4))))


def _with_combine_options(numkeys_keys):
    count = max(1, len(numkeys_keys[1]))
    return st.tuples(st.just(numkeys_keys), options(_weights(count), aggregate))


combine_args = numkeys_and_keys().flatmap(_with_combine_options)
min_max = one_of_values(b"MIN", b"MAX")
zscan_match = optional(pair(b"MATCH", one_of_values(b"*", b"[ab]", b"?")))

ZSET_NAMES = [b"ZADD", b"ZREM", b"ZCARD", b"ZSCORE", b"ZMSCORE", b"ZINCRBY", b"ZRANK",
              b"ZREVRANK", b"ZCOUNT", b"ZLEXCOUNT", b"ZRANGE", b"ZRANGEBYSCORE",
              b"ZREVRANGEBYSCORE", b"ZRANGEBYLEX", b"ZREVRANGEBYLEX", b"ZREVRANGE", b"ZPOPMIN",
              b"ZPOPMAX", b"ZMPOP", b"ZUNION", b"ZINTER", b"ZDIFF", b"ZUNIONSTORE",
              b"ZINTERSTORE", b"ZDIFFSTORE", b"ZINTERCARD", b"ZRANGESTORE", b"ZREMRANGEBYRANK",
              b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX"]

zset_commands = weighted(
    (6, cmd(b"ZADD", key, score_members)),
    (2, cmd(b"ZADD", key, zadd_options, score_members)),
    (1, cmd(b"ZREM", key, zmembers)),
    (1, cmd(b"ZCARD", key)),
    (1, cmd(b"ZSCORE", key, zmember)),
    (1, cmd(b"ZMSCORE", key, zmembers)),
    (2, cmd(b"ZINCRBY", key, score, zmember)),
    (1, cmd(b"ZRANK", key, zmember)),
    (1, cmd(b"ZREVRANK", key, zmember)),
    (1, cmd(b"ZCOUNT", key, score_bound, score_bound)),
    (1, cmd(b"ZLEXCOUNT", key, lex_bound, lex_bound)),
    (4, cmd(b"ZRANGE", key, zrange_args)),
    (1, cmd(b"ZRANGEBYSCORE", key, score_bound, score_bound, options(b"WITHSCORES", limit))),
    (1, cmd(b"ZREVRANGEBYSCORE", key, score_bound, score_bound, options(b"WITHSCORES", limit))),
    (1, cmd(b"ZRANGEBYLEX", key, lex_bound, lex_bound, optional(limit))),
    (1, cmd(b"ZREVRANGEBYLEX", key, lex_bound, lex_bound, optional(limit))),
    (1, cmd(b"ZREVRANGE", key, integer_arg, integer_arg, optional(st.just(b"WITHSCORES")))),
    (1, cmd(b"ZPOPMIN", key, optional(count_arg))),
    (1, cmd(b"ZPOPMAX", key, optional(count_arg))),
    (1, cmd(b"ZMPOP", numkeys_and_keys(), min_max, optional(pair(b"COUNT", count_arg)))),
    (2, cmd(b"ZUNION", combine_args, optional(st.just(b"WITHSCORES")))),
    (2, cmd(b"ZINTER", combine_args, optional(st.just(b"WITHSCORES")))),
    (1, cmd(b"ZDIFF", numkeys_and_keys(), optional(st.just(b"WITHSCORES")))),
    (1, cmd(b"ZUNIONSTORE", key, combine_args)),
    (1, cmd(b"ZINTERSTORE", key, combine_args)),
    (1, cmd(b"ZDIFFSTORE", key, numkeys_and_keys())),
    (1, cmd(b"ZINTERCARD", numkeys_and_keys(),
            optional(pair(b"LIMIT", mostly(one_of_values(b"0", b"1"), b"-1", b"x"))))),
    (1, cmd(b"ZRANGESTORE", key, key, zstore_range_args)),
    (1, cmd(b"ZREMRANGEBYRANK", key, integer_arg, integer_arg)),
    (1, cmd(b"ZREMRANGEBYSCORE", key, score_bound, score_bound)),
    (1, cmd(b"ZREMRANGEBYLEX", key, lex_bound, lex_bound)),
    (1, cmd(b"ZSCAN", key, scan_cursor, zscan_match)),
    (3, cmd(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES")),
    (1, cmd(b"SET", key, value)),
    (1, cmd(b"SADD", key, zmember)),
    (1, cmd(b"RPUSH", key, zmember)),
    (1, malformed(ZSET_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Bitmaps

bit_offset = mostly(encoded_ints(0, 40), b"-1", b"x", b"4294967296", b"1.5")
bit_value = mostly(one_of_values(b"0", b"1"), b"2", b"x", b"-1")
bitmap_value = one_of_values(b"", b"a", b"\xff", b"\x00", b"foobar", b"\xf0\x0f", b"\x00\x01",
                             b"\xff\xff\x00")
bit_range = mostly(one_of_values(b"0", b"1", b"2", b"-1", b"-2", b"5", b"100", b"-100"), b"x")
range_unit = mostly(one_of_values(b"BYTE", b"BIT", b"bit"), b"WORD")
bitcount_args = st.one_of(
    st.just(()), st.tuples(bit_range, bit_range), st.tuples(bit_range, bit_range, range_unit),
    st.tuples(bit_range))
bitpos_args = st.one_of(
    st.just(()), st.tuples(bit_range), st.tuples(bit_range, bit_range),
    st.tuples(bit_range, bit_range, range_unit))
bitop_operation = mostly(one_of_values(b"AND", b"OR", b"XOR", b"NOT", b"and"), b"XAND")

BITMAP_NAMES = [b"SETBIT", b"GETBIT", b"BITCOUNT", b"BITPOS", b"BITOP"]

bitmap_commands = weighted(
    (5, cmd(b"SETBIT", key, bit_offset, bit_value)),
    (2, cmd(b"GETBIT", key, weighted((4, bit_offset), (1, st.just(b"4294967295"))))),
    (3, cmd(b"BITCOUNT", key, bitcount_args)),
    (3, cmd(b"BITPOS", key, bit_value, bitpos_args)),
    (3, cmd(b"BITOP", bitop_operation, key, keys(1, 3))),
    (3, cmd(b"SET", key, bitmap_value)),
    (1, cmd(b"APPEND", key, bitmap_value)),
    (1, cmd(b"SETRANGE", key, encoded_ints(0, 6), bitmap_value)),
    (2, cmd(b"GET", key)),
    (1, cmd(b"STRLEN", key)),
    (1, cmd(b"RPUSH", key, value)),
    (1, malformed(BITMAP_NAMES)),
)

# ---------------------------------------------------------------------------------------------
# Everything at once, and MULTI/EXEC blocks.

mixed_commands = st.one_of(string_commands, key_commands, list_commands, hash_commands,
                           set_commands, zset_commands, bitmap_commands)

queue_time_errors = one_of_values(
    (b"NOSUCHCMD", b"x"), (b"GET",), (b"SET", b"a"), (b"MULTI",), (b"WATCH", b"a"),
    (b"ZADD", b"a"), (b"LPUSH", b"b"))
transaction_extras = one_of_values(
    (b"PING",), (b"ECHO", b"hi"), (b"EXEC",), (b"DISCARD",), (b"UNWATCH",), (b"SELECT", b"1"),
    (b"SELECT", b"0"))
transaction_body = st.lists(
    weighted((6, mixed_commands), (1, queue_time_errors), (1, transaction_extras)), max_size=6)
multi_end = weighted((4, st.just([(b"EXEC",)])), (1, st.just([(b"DISCARD",)])), (1, st.just([])))
multi_block = st.tuples(transaction_body, multi_end).map(
    lambda drawn: [(b"MULTI",)] + drawn[0] + drawn[1])
single = mixed_commands.map(lambda command: [command])
watch = st.one_of(cmd(b"WATCH", keys()), st.just((b"UNWATCH",))).map(lambda command: [command])
transaction_blocks = st.lists(
    weighted((3, single), (3, multi_block), (1, watch),
             (1, transaction_extras.map(lambda command: [command]))),
    min_size=1, max_size=5)
transaction_sequences = st.lists(transaction_blocks, min_size=1, max_size=4).map(
    lambda chunks: [command for blocks in chunks for block in blocks for command in block])

FAMILIES = {
    "strings": sequences(string_commands),
    "keys": sequences(key_commands),
    "lists": sequences(list_commands),
    "hashes": sequences(hash_commands),
    "sets": sequences(set_commands),
    "zsets": sequences(zset_commands),
    "bitmaps": sequences(bitmap_commands),
    "transactions": transaction_sequences,
    "mixed": sequences(mixed_commands),
}
