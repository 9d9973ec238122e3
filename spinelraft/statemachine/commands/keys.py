"""Generic key commands (db.c, expire.c, object.c): the keyspace, renames, copies and TTLs."""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK, Simple
from spinelraft.statemachine.args import INT64_MAX, c_string, keyword, parse_int, shown
from spinelraft.statemachine.glob import match
from spinelraft.statemachine.scan import KEYSPACE_HASH_BITS, parse_cursor, parse_scan_options, scan
from spinelraft.statemachine.values import copy_value, encoding_name, type_name

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# Redis checks `when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000` with C division,
# which truncates toward zero.
SECONDS_MAX = INT64_MAX // 1000
SECONDS_MIN = -SECONDS_MAX
# Integers 0..9999 are shared objects in Redis: OBJECT REFCOUNT reports INT_MAX for them.
SHARED_INTEGERS = 10000
SHARED_REFCOUNT = 2147483647


@command("del", -2, "write", keys=(1, -1, 1), group="generic")
def del_(ctx, args):
    """Delete keys; returns how many existed."""
    removed = 0
    for key in args:
        if ctx.get(key) is not None and ctx.delete(key):
            removed += 1
    return removed


@command("unlink", -2, "write fast", keys=(1, -1, 1), group="generic")
def unlink(ctx, args):
    """Delete keys (Redis frees them in the background; here it is the same as DEL)."""
    return del_(ctx, args)


@command("exists", -2, "readonly fast", keys=(1, -1, 1), group="generic")
def exists(ctx, args):
    """Count how many of the keys exist (a key named twice counts twice)."""
    return sum(1 for key in args if ctx.get(key) is not None)


@command("touch", -2, "readonly fast", keys=(1, -1, 1), group="generic")
def touch(ctx, args):
    """Count how many of the keys exist (access times are not tracked)."""
    return exists(ctx, args)


@command("type", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def type_(ctx, args):
    """The type of the value at key."""
    value = ctx.get(args[0])
    return Simple("none" if value is None else type_name(value).decode())


# -- renaming and copying ------------------------------------------------------------------------
def _rename(ctx, args, only_if_new: bool):
    source, destination = args[0], args[1]
    value = ctx.get(source)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if source == destination:
        return 0 if only_if_new else OK
    if ctx.get(destination) is not None and only_if_new:
        return 0
    expire_at = ctx.db.expires.get(source)
    ctx.delete(source)
    ctx.set(destination, value)  # drops any TTL the destination had
    if expire_at is not None:
        ctx.db.set_expire(destination, expire_at)
    return 1 if only_if_new else OK


@command("rename", 3, "write", keys=(1, 2, 1), group="generic")
def rename(ctx, args):
    """Rename a key, overwriting the destination; the TTL moves with the value."""
    return _rename(ctx, args, only_if_new=False)


@command("renamenx", 3, "write fast", keys=(1, 2, 1), group="generic")
def renamenx(ctx, args):
    """Rename a key only if the new name does not exist."""
    return _rename(ctx, args, only_if_new=True)


def _parse_copy_options(ctx, args):
    """[DB destination-db] [REPLACE] -> (destination db index, replace)."""
    db_index = ctx.db_index
    replace = False
    index = 0
    while index < len(args):
        option = keyword(args[index])
        if option == b"REPLACE":
            replace = True
        elif option == b"DB" and index + 1 < len(args):
            db_index = parse_int(args[index + 1])
            if db_index < INT32_MIN or db_index > INT32_MAX:
                raise CommandError(errors.NOT_INT32)
            if not 0 <= db_index < len(ctx.machine.dbs):
                raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return db_index, replace


@command("copy", -3, "write denyoom", keys=(1, 2, 1), group="generic")
def copy(ctx, args):
    """Copy a key's value (and TTL) to another key, possibly in another database."""
    source, destination = args[0], args[1]
    db_index, replace = _parse_copy_options(ctx, args[2:])
    if db_index == ctx.db_index and source == destination:
        raise CommandError(errors.SAME_OBJECT)
    value = ctx.get(source)
    if value is None:
        return 0
    target = ctx.db_at(db_index)
    if target.get_live(destination, ctx.now_ms) is not None and not replace:
        return 0
    expire_at = ctx.db.expires.get(source)
    target.set(destination, copy_value(value))  # replaces any old value and its TTL
    if expire_at is not None:
        target.set_expire(destination, expire_at)
    if target is not ctx.db:
        ctx.machine.touch(target, destination)  # the dispatcher only bumps the current db
    return 1


@command("move", 3, "write fast", keys=(1, 1, 1), group="generic")
def move(ctx, args):
    """Move a key (with its TTL) to another database; 0 if it is missing or taken there."""
    key = args[0]
    db_index = parse_int(args[1])
    if db_index < INT32_MIN or db_index > INT32_MAX:
        raise CommandError(errors.NOT_INT32)
    if not 0 <= db_index < len(ctx.machine.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if db_index == ctx.db_index:
        raise CommandError(errors.SAME_OBJECT)
    value = ctx.get(key)
    if value is None:
        return 0
    target = ctx.db_at(db_index)
    if target.get_live(key, ctx.now_ms) is not None:
        return 0
    expire_at = ctx.db.expires.get(key)
    target.set(key, value)  # replaces an expired leftover and its TTL
    if expire_at is not None:
        target.set_expire(key, expire_at)
    ctx.delete(key)
    ctx.machine.touch(target, key)  # the dispatcher only bumps the current db
    return 1


# -- walking the keyspace ------------------------------------------------------------------------
def _live_keys(ctx):
    """Keys of the current database that have not expired, in a deterministic order."""
    db = ctx.db
    if not db.expires:
        return list(db.data)
    now_ms = ctx.now_ms
    return [key for key in db.data if not db.is_expired(key, now_ms)]


@command("keys", 2, "readonly", group="generic", categories=("@dangerous",), fan_out="concat")
def keys_(ctx, args):
    """Every key matching a glob-style pattern."""
    pattern = args[0]
    return [key for key in _live_keys(ctx) if match(pattern, key)]


@command("scan", -2, "readonly", group="generic", fan_out="scan")
def scan_(ctx, args):
    """Iterate the keyspace with a cursor: [MATCH pattern] [COUNT n] [TYPE type]."""
    cursor = parse_cursor(args[0])
    pattern, count, type_filter, _ = parse_scan_options(args[1:], allow_type=True)
    next_cursor, found = scan(_live_keys(ctx), cursor, count, pattern, KEYSPACE_HASH_BITS)
    if type_filter is not None:
        found = [key for key in found if type_name(ctx.db.data[key]) == type_filter]
    return [b"%d" % next_cursor, found]


@command("randomkey", 1, "readonly", group="generic", fan_out="random")
def randomkey(ctx, args):
    """A random key that has not expired, or nil if there is none."""
    candidates = _live_keys(ctx)
    if not candidates:
        return None
    return candidates[ctx.rng.below(len(candidates))]


# -- OBJECT --------------------------------------------------------------------------------------
OBJECT_HELP = (
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
)


def _refcount(value) -> int:
    if type(value) is bytes and encoding_name(value) == b"int":
        if 0 <= int(value) < SHARED_INTEGERS:
            return SHARED_REFCOUNT
    return 1


def _frequency(value):
    # The eviction policy is never LFU here, so Redis's answer is always this error.
    raise CommandError(errors.LFU_NOT_SELECTED)


def _idle_time(value) -> int:
    # Access times would differ between replicas; report every key as just used.
    return 0


OBJECT_SUBCOMMANDS = {
    b"ENCODING": encoding_name,
    b"FREQ": _frequency,
    b"IDLETIME": _idle_time,
    b"REFCOUNT": _refcount,
}


@command("object", -2, "readonly", keys=(2, 2, 1), group="generic")
def object_(ctx, args):
    """Inspect the internals of a value: ENCODING, FREQ, IDLETIME, REFCOUNT, HELP."""
    subcommand = args[0].upper()
    if subcommand == b"HELP":
        if len(args) != 1:
            raise CommandError(errors.wrong_arity("object|help"))
        return [Simple(line) for line in OBJECT_HELP]
    inspect = OBJECT_SUBCOMMANDS.get(subcommand)
    if inspect is None:
        raise CommandError(errors.unknown_subcommand("object", c_string(args[0])))
    if len(args) != 2:
        raise CommandError(errors.wrong_arity("object|" + subcommand.lower().decode()))
    value = ctx.get(args[1])
    if value is None:
        return None
    return inspect(value)


# -- expiry --------------------------------------------------------------------------------------
def _parse_expire_flags(args) -> list:
    """NX XX GT LT, with Redis's compatibility rules (checked before the time argument)."""
    flags = []
    for raw in args:
        option = keyword(raw)
        if option not in (b"NX", b"XX", b"GT", b"LT"):
            raise CommandError(errors.UNSUPPORTED_OPTION % shown(raw))
        flags.append(option)
    if b"NX" in flags and (b"XX" in flags or b"GT" in flags or b"LT" in flags):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if b"GT" in flags and b"LT" in flags:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    return flags


def _expire_allowed(flags, current, when: int) -> bool:
    """Whether NX/XX/GT/LT let a new expiry `when` replace `current` (None: no TTL)."""
    if b"NX" in flags and current is not None:
        return False
    if b"XX" in flags and current is None:
        return False
    if b"GT" in flags and (current is None or when <= current):
        return False  # no TTL counts as an infinite one, which nothing is greater than
    if b"LT" in flags and current is not None and when >= current:
        return False
    return True


def _expire(ctx, args, name: str, base_ms: int, unit_ms: int):
    key = args[0]
    flags = _parse_expire_flags(args[2:])
    when = parse_int(args[1])
    if unit_ms == 1000:
        if when > SECONDS_MAX or when < SECONDS_MIN:
            raise CommandError(errors.invalid_expire(name))
        when *= 1000
    if when > INT64_MAX - base_ms:
        raise CommandError(errors.invalid_expire(name))
    when += base_ms
    if ctx.get(key) is None:
        return 0
    if not _expire_allowed(flags, ctx.db.expires.get(key), when):
        return 0
    if when <= ctx.now_ms:
        ctx.delete(key)  # a time in the past removes the key at once
    else:
        ctx.db.set_expire(key, when)
    return 1


@command("expire", -3, "write fast", keys=(1, 1, 1), group="generic")
def expire(ctx, args):
    """Set a key's time to live in seconds [NX|XX|GT|LT]."""
    return _expire(ctx, args, "expire", ctx.now_ms, 1000)


@command("pexpire", -3, "write fast", keys=(1, 1, 1), group="generic")
def pexpire(ctx, args):
    """Set a key's time to live in milliseconds [NX|XX|GT|LT]."""
    return _expire(ctx, args, "pexpire", ctx.now_ms, 1)


@command("expireat", -3, "write fast", keys=(1, 1, 1), group="generic")
def expireat(ctx, args):
    """Set a key's expiry as a unix time in seconds [NX|XX|GT|LT]."""
    return _expire(ctx, args, "expireat", 0, 1000)


@command("pexpireat", -3, "write fast", keys=(1, 1, 1), group="generic")
def pexpireat(ctx, args):
    """Set a key's expiry as a unix time in milliseconds [NX|XX|GT|LT]."""
    return _expire(ctx, args, "pexpireat", 0, 1)


def _ttl(ctx, key: bytes, in_ms: bool, absolute: bool) -> int:
    """-2 if the key is missing, -1 without TTL, else the (remaining or absolute) time."""
    if ctx.get(key) is None:
        return -2
    when = ctx.db.expires.get(key)
    if when is None:
        return -1
    remaining = when if absolute else max(when - ctx.now_ms, 0)
    return remaining if in_ms else (remaining + 500) // 1000


@command("ttl", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def ttl(ctx, args):
    """Remaining time to live of a key, in seconds."""
    return _ttl(ctx, args[0], in_ms=False, absolute=False)


@command("pttl", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def pttl(ctx, args):
    """Remaining time to live of a key, in milliseconds."""
    return _ttl(ctx, args[0], in_ms=True, absolute=False)


@command("expiretime", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def expiretime(ctx, args):
    """The unix time in seconds at which a key expires."""
    return _ttl(ctx, args[0], in_ms=False, absolute=True)


@command("pexpiretime", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def pexpiretime(ctx, args):
    """The unix time in milliseconds at which a key expires."""
    return _ttl(ctx, args[0], in_ms=True, absolute=True)


@command("persist", 2, "write fast", keys=(1, 1, 1), group="generic")
def persist(ctx, args):
    """Remove a key's time to live; 1 if there was one."""
    if ctx.get(args[0]) is None:
        return 0
    return 1 if ctx.db.persist(args[0]) else 0
