"""String commands (t_string.c): GET SET and friends, counters, APPEND, ranges, LCS."""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK
from spinelraft.statemachine.args import (
    INT64_MAX,
    INT64_MIN,
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


def parse_set_options(args):
    """SET options after key and value: (condition, get, unit, raw_expire, keepttl)."""
    condition = None
    want_get = False
    unit = raw = None
    keepttl = False
    index = 0
    while index < len(args):
        option = args[index].upper()
        if option in (b"NX", b"XX") and condition is None:
            condition = option
        elif option == b"GET" and not want_get:
            want_get = True
        elif option == b"KEEPTTL" and unit is None and not keepttl:
            keepttl = True
        elif option in (b"EX", b"PX", b"EXAT", b"PXAT") and unit is None and not keepttl:
            if index + 1 >= len(args):
                raise CommandError(errors.SYNTAX)
            unit = option
            raw = args[index + 1]
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return condition, want_get, unit, raw, keepttl


@command("set", -3, "write denyoom", keys=(1, 1, 1), group="string")
def set_(ctx, args):
    """Set the string value of a key, with NX/XX/GET and expiry options."""
    key, value = args[0], args[1]
    condition, want_get, unit, raw, keepttl = parse_set_options(args[2:])
    when_ms = absolute_expire_ms(ctx, unit, raw, "set") if unit else None
    old = get_string(ctx, key) if want_get else ctx.get(key)
    exists = old is not None
    if (condition == b"NX" and exists) or (condition == b"XX" and not exists):
        return old if want_get else None
    ctx.set(key, value, keep_ttl=keepttl)
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
    unit = raw = None
    persist = False
    index = 1
    while index < len(args):
        option = args[index].upper()
        if option in (b"EX", b"PX", b"EXAT", b"PXAT") and unit is None and not persist:
            if index + 1 >= len(args):
                raise CommandError(errors.SYNTAX)
            unit, raw = option, args[index + 1]
            index += 2
        elif option == b"PERSIST" and unit is None and not persist:
            persist = True
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
    when_ms = absolute_expire_ms(ctx, unit, raw, "getex") if unit else None
    value = get_string(ctx, key)
    if value is None:
        return None
    if when_ms is not None:
        ctx.db.set_expire(key, when_ms)
    elif persist:
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
