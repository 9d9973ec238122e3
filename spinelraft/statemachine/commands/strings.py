"""String commands (t_string.c): GET SET and friends, counters, APPEND, ranges, LCS."""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK, Map
from spinelraft.statemachine.args import (
    INT64_MAX,
    INT64_MIN,
    keyword,
    long_double_add,
    parse_int,
    to_int,
)

MAX_STRING_BYTES = 512 * 1024 * 1024


def get_string(ctx, key):
    """The string at key, None if missing, WRONGTYPE otherwise."""
    value = ctx.get(key)
    if value is not None and type(value) is not bytes:
        raise CommandError(errors.WRONGTYPE)
    return value


# -- expiry options shared by SET, GETEX, SETEX ---------------------------------------------------
def absolute_expire_ms(ctx, unit: bytes, raw: bytes, command_name: str) -> int:
    """Turn EX/PX/EXAT/PXAT <raw> into an absolute time in ms, with Redis's range checks."""
    value = parse_int(raw)
    if value <= 0:
        raise CommandError(errors.invalid_expire(command_name))
    if unit in (b"EX", b"EXAT"):
        if value > INT64_MAX // 1000:
            raise CommandError(errors.invalid_expire(command_name))
        value *= 1000
    if unit in (b"EX", b"PX"):
        if value > INT64_MAX - ctx.now_ms:
            raise CommandError(errors.invalid_expire(command_name))
        value += ctx.now_ms
    return value


# Option flags of SET and GETEX, as parseExtendedStringArgumentsOrReply keeps them.
_NX, _XX, _GET, _KEEPTTL, _PERSIST = 1, 2, 4, 8, 16
_PLAIN_FLAGS = {b"NX": _NX, b"XX": _XX, b"GET": _GET, b"KEEPTTL": _KEEPTTL, b"PERSIST": _PERSIST}
_EXPIRE_FLAGS = {b"EX": 32, b"PX": 64, b"EXAT": 128, b"PXAT": 256}
_ANY_EXPIRE = 32 | 64 | 128 | 256


def _option_allowed(option: bytes, flags: int, for_set: bool) -> bool:
    """Redis's conditions: an option may repeat, but never join one it excludes."""
    if option == b"NX":
        return for_set and not flags & _XX
    if option == b"XX":
        return for_set and not flags & _NX
    if option == b"GET":
        return for_set
    if option == b"KEEPTTL":
        return for_set and not flags & (_PERSIST | _ANY_EXPIRE)
    if option == b"PERSIST":
        return not for_set and not flags & (_KEEPTTL | _ANY_EXPIRE)
    if option in _EXPIRE_FLAGS:
        others = _ANY_EXPIRE & ~_EXPIRE_FLAGS[option]
        return not flags & (_KEEPTTL | _PERSIST | others)
    return False


def parse_extended_string_options(args, for_set: bool):
    """SET/GETEX options -> (flags, expire unit or None, raw expire or None).

    Like Redis, options are compared as C strings (a NUL ends them), the same option may be
    given twice, and a repeated EX/PX/EXAT/PXAT keeps its last value (checked later)."""
    flags = 0
    unit = raw = None
    index = 0
    while index < len(args):
        option = keyword(args[index])
        is_expire = option in _EXPIRE_FLAGS
        if not _option_allowed(option, flags, for_set) or (is_expire and index + 1 == len(args)):
            raise CommandError(errors.SYNTAX)
        if is_expire:
            flags |= _EXPIRE_FLAGS[option]
            unit, raw = option, args[index + 1]
            index += 1
        else:
            flags |= _PLAIN_FLAGS[option]
        index += 1
    return flags, unit, raw


@command("set", -3, "write denyoom", keys=(1, 1, 1), group="string")
def set_(ctx, args):
    """Set the string value of a key, with NX/XX/GET and expiry options."""
    key, value = args[0], args[1]
    flags, unit, raw = parse_extended_string_options(args[2:], for_set=True)
    when_ms = absolute_expire_ms(ctx, unit, raw, "set") if unit else None
    want_get = bool(flags & _GET)
    old = get_string(ctx, key) if want_get else ctx.get(key)
    exists = old is not None
    if (flags & _NX and exists) or (flags & _XX and not exists):
        return old if want_get else None
    ctx.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    if when_ms is not None:
        ctx.db.set_expire(key, when_ms)
    return old if want_get else OK


@command("setnx", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def setnx(ctx, args):
    """Set a key only if it does not exist."""
    if ctx.exists(args[0]):
        return 0
    ctx.set(args[0], args[1])
    return 1


def _set_with_ttl(ctx, args, unit, name):
    when_ms = absolute_expire_ms(ctx, unit, args[1], name)
    ctx.set(args[0], args[2])
    ctx.db.set_expire(args[0], when_ms)
    return OK


@command("setex", 4, "write denyoom", keys=(1, 1, 1), group="string")
def setex(ctx, args):
    """Set a key with a TTL in seconds."""
    return _set_with_ttl(ctx, args, b"EX", "setex")


@command("psetex", 4, "write denyoom", keys=(1, 1, 1), group="string")
def psetex(ctx, args):
    """Set a key with a TTL in milliseconds."""
    return _set_with_ttl(ctx, args, b"PX", "psetex")


@command("get", 2, "readonly fast", keys=(1, 1, 1), group="string")
def get(ctx, args):
    """Get the value of a key."""
    return get_string(ctx, args[0])


@command("getset", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def getset(ctx, args):
    """Set a key and return its old value."""
    old = get_string(ctx, args[0])
    ctx.set(args[0], args[1])
    return old


@command("getdel", 2, "write fast", keys=(1, 1, 1), group="string")
def getdel(ctx, args):
    """Get a key's value and delete the key."""
    old = get_string(ctx, args[0])
    if old is not None:
        ctx.delete(args[0])
    return old


@command("getex", -2, "write fast", keys=(1, 1, 1), group="string")
def getex(ctx, args):
    """Get a key's value and change or remove its TTL."""
    key = args[0]
    flags, unit, raw = parse_extended_string_options(args[1:], for_set=False)
    # Redis looks the key up and checks its type before it validates the expire time.
    value = get_string(ctx, key)
    if value is None:
        return None
    when_ms = absolute_expire_ms(ctx, unit, raw, "getex") if unit else None
    if when_ms is not None:
        ctx.db.set_expire(key, when_ms)
    elif flags & _PERSIST:
        ctx.db.persist(key)
    return value


@command("mget", -2, "readonly fast", keys=(1, -1, 1), group="string")
def mget(ctx, args):
    """Get the values of several keys (nil for missing or non-string keys)."""
    replies = []
    for key in args:
        value = ctx.get(key)
        replies.append(value if type(value) is bytes else None)
    return replies


@command("mset", -3, "write denyoom", keys=(1, -1, 2), group="string")
def mset(ctx, args):
    """Set several keys at once."""
    if len(args) % 2:
        raise CommandError(errors.wrong_arity("mset"))
    for index in range(0, len(args), 2):
        ctx.set(args[index], args[index + 1])
    return OK


@command("msetnx", -3, "write denyoom", keys=(1, -1, 2), group="string")
def msetnx(ctx, args):
    """Set several keys only if none of them exists."""
    if len(args) % 2:
        raise CommandError(errors.wrong_arity("msetnx"))
    if any(ctx.exists(args[index]) for index in range(0, len(args), 2)):
        return 0
    for index in range(0, len(args), 2):
        ctx.set(args[index], args[index + 1])
    return 1


# -- counters ---------------------------------------------------------------------------------
def incr_by(ctx, key: bytes, increment: int) -> int:
    current = get_string(ctx, key)
    number = 0
    if current is not None:
        number = to_int(current)
        if number is None:
            raise CommandError(errors.NOT_INTEGER)
    result = number + increment
    if result < INT64_MIN or result > INT64_MAX:
        raise CommandError(errors.OVERFLOW)
    ctx.set(key, b"%d" % result, keep_ttl=True)
    return result


@command("incr", 2, "write denyoom fast", keys=(1, 1, 1), group="string")
def incr(ctx, args):
    """Increment the integer value of a key by one."""
    return incr_by(ctx, args[0], 1)


@command("decr", 2, "write denyoom fast", keys=(1, 1, 1), group="string")
def decr(ctx, args):
    """Decrement the integer value of a key by one."""
    return incr_by(ctx, args[0], -1)


@command("incrby", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def incrby(ctx, args):
    """Increment the integer value of a key by a number."""
    return incr_by(ctx, args[0], parse_int(args[1]))


@command("decrby", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def decrby(ctx, args):
    """Decrement the integer value of a key by a number."""
    amount = parse_int(args[1])
    if amount == INT64_MIN:
        raise CommandError("ERR decrement would overflow")
    return incr_by(ctx, args[0], -amount)


@command("incrbyfloat", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def incrbyfloat(ctx, args):
    """Increment the float value of a key."""
    current = get_string(ctx, args[0])
    result = long_double_add(current if current is not None else b"0", args[1])
    ctx.set(args[0], result, keep_ttl=True)
    return result


# -- length and appending ------------------------------------------------------------------------
@command("strlen", 2, "readonly fast", keys=(1, 1, 1), group="string")
def strlen(ctx, args):
    """Length of the string at key."""
    value = get_string(ctx, args[0])
    return 0 if value is None else len(value)


@command("append", 3, "write denyoom fast", keys=(1, 1, 1), group="string")
def append(ctx, args):
    """Append to the string at key."""
    current = get_string(ctx, args[0])
    result = args[1] if current is None else current + args[1]
    if len(result) > MAX_STRING_BYTES:
        raise CommandError(errors.STRING_TOO_LONG)
    ctx.set(args[0], result, keep_ttl=True)
    return len(result)


# -- ranges ------------------------------------------------------------------------------------
def _get_range(ctx, args):
    start = parse_int(args[1])
    end = parse_int(args[2])
    value = get_string(ctx, args[0])
    if value is None:
        return b""
    length = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    end = min(max(end, 0), length - 1)
    if start > end:
        return b""
    return value[start : end + 1]


@command("getrange", 4, "readonly", keys=(1, 1, 1), group="string")
def getrange(ctx, args):
    """A substring of the string at key (inclusive indexes, negative ones count from the end)."""
    return _get_range(ctx, args)


@command("substr", 4, "readonly", keys=(1, 1, 1), group="string")
def substr(ctx, args):
    """A substring of the string at key (the old name of GETRANGE)."""
    return _get_range(ctx, args)


@command("setrange", 4, "write denyoom", keys=(1, 1, 1), group="string")
def setrange(ctx, args):
    """Overwrite part of a string at an offset, zero-padding it if needed."""
    key, patch = args[0], args[2]
    offset = parse_int(args[1])
    if offset < 0:
        raise CommandError(errors.OFFSET_OUT_OF_RANGE)
    current = get_string(ctx, key)
    if not patch:  # writing nothing never creates nor grows the key
        return 0 if current is None else len(current)
    if offset + len(patch) > MAX_STRING_BYTES:
        raise CommandError(errors.STRING_TOO_LONG)
    current = current or b""
    if offset > len(current):
        current += bytes(offset - len(current))
    result = current[:offset] + patch + current[offset + len(patch) :]
    ctx.set(key, result, keep_ttl=True)
    return len(result)


# -- LCS ---------------------------------------------------------------------------------------
def _match_masks(text: bytes) -> dict:
    """byte -> int whose bit j is set where text[j] is that byte."""
    masks = {}
    reversed_text = text[::-1]  # int(..., 2) reads the most significant bit first
    for byte in dict.fromkeys(text):
        table = bytearray(b"0" * 256)
        table[byte] = ord("1")
        masks[byte] = int(reversed_text.translate(table), 2)
    return masks


def _lcs_rows(a: bytes, b: bytes, keep_rows: bool):
    """The LCS length of a and b, and (if asked) every row of the LCS table, bit-parallel.

    Row i is Allison-Dix's bit vector over b: bit j is 0 exactly when
    LCS(a[:i], b[:j+1]) = LCS(a[:i], b[:j]) + 1. A row is kept as little-endian bytes.
    """
    full = (1 << len(b)) - 1
    width = (len(b) + 7) // 8
    masks = _match_masks(b)
    row = full
    rows = [row.to_bytes(width, "little")] if keep_rows else None
    for byte in a:
        matches = row & masks.get(byte, 0)
        row = ((row + matches) | (row - matches)) & full
        if keep_rows:
            rows.append(row.to_bytes(width, "little"))
    return len(b) - row.bit_count(), rows


def _lcs_walk(a: bytes, b: bytes, rows, min_match_len: int, with_match_len: bool):
    """Walk the table back from its end exactly as Redis does: (LCS bytes, matched ranges)."""
    unset = len(a)
    a_start, a_end, b_start, b_end = unset, 0, 0, 0
    common = bytearray()
    ranges = []
    i, j = len(a), len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            common.append(a[i - 1])
            if a_start == unset:
                a_start, a_end, b_start, b_end = i - 1, i - 1, j - 1, j - 1
            elif a_start == i and b_start == j:
                a_start -= 1  # the match extends the current range backwards
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            i -= 1
            j -= 1
        else:
            # Redis goes up when LCS(i-1, j) > LCS(i, j-1), which holds exactly when
            # LCS(i, j-1) < LCS(i, j), i.e. when bit j-1 of row i is clear.
            row = rows[i]
            if not (row[(j - 1) >> 3] >> ((j - 1) & 7)) & 1:
                i -= 1
            else:
                j -= 1
            if a_start != unset:
                emit = True
        if emit:
            match_len = a_end - a_start + 1
            if min_match_len == 0 or match_len >= min_match_len:
                entry = [[a_start, a_end], [b_start, b_end]]
                if with_match_len:
                    entry.append(match_len)
                ranges.append(entry)
            a_start = unset
    common.reverse()
    return bytes(common), ranges


def _parse_lcs_options(args):
    """[LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] -> (len, idx, min_match_len, withmatchlen)."""
    want_len = want_idx = with_match_len = False
    min_match_len = 0
    index = 0
    while index < len(args):
        option = keyword(args[index])
        if option == b"IDX":
            want_idx = True
        elif option == b"LEN":
            want_len = True
        elif option == b"WITHMATCHLEN":
            with_match_len = True
        elif option == b"MINMATCHLEN" and index + 1 < len(args):
            min_match_len = max(parse_int(args[index + 1]), 0)
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    if want_idx and want_len:
        raise CommandError(errors.LCS_LEN_AND_IDX)
    return want_len, want_idx, min_match_len, with_match_len


@command("lcs", -3, "readonly", keys=(1, 2, 1), group="string")
def lcs(ctx, args):
    """Longest common subsequence of two strings: the string, LEN, or IDX ranges."""
    a, b = ctx.get(args[0]), ctx.get(args[1])
    if (a is not None and type(a) is not bytes) or (b is not None and type(b) is not bytes):
        raise CommandError(errors.LCS_NOT_STRINGS)
    a, b = a or b"", b or b""
    want_len, want_idx, min_match_len, with_match_len = _parse_lcs_options(args[2:])
    # Redis refuses when its table of 32-bit cells would exceed proto-max-bulk-len.
    if (len(a) + 1) * (len(b) + 1) * 4 > MAX_STRING_BYTES:
        raise CommandError(errors.LCS_TOO_MUCH_MEMORY)
    if want_len:
        shorter, longer = sorted((a, b), key=len)  # the length is symmetric: loop less
        return _lcs_rows(shorter, longer, keep_rows=False)[0]
    length, rows = _lcs_rows(a, b, keep_rows=True)
    common, ranges = _lcs_walk(a, b, rows, min_match_len, with_match_len)
    if want_idx:
        return Map([(b"matches", ranges), (b"len", length)])
    return common
