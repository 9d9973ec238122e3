"""DUMP and RESTORE (cluster.c): values serialized in Redis 7.0's RDB format (see rdb.py), so a
payload DUMPed here RESTOREs into redis-server and the other way round."""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK
from spinelraft.statemachine.args import parse_int
from spinelraft.statemachine.rdb import RdbError, dump_value, load_value, verify_footer


@command("dump", 2, "readonly", keys=(1, 1, 1), group="generic")
def dump(ctx, args):
    """A serialized form of the value at key (nil if the key does not exist)."""
    value = ctx.get(args[0])
    if value is None:
        return None
    try:
        return dump_value(value)
    except RdbError:
        raise CommandError(errors.DUMP_UNSUPPORTED_TYPE) from None


def _parse_restore_options(args):
    """[REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] -> (replace, absolute TTL).

    IDLETIME and FREQ are validated as Redis does, then ignored: access times and frequencies
    are not tracked here (they would differ between replicas)."""
    replace = absolute = False
    idle = frequency = None
    index = 0
    while index < len(args):
        word = args[index].upper()
        has_argument = index + 1 < len(args)
        if word == b"REPLACE":
            replace = True
        elif word == b"ABSTTL":
            absolute = True
        elif word == b"IDLETIME" and has_argument and frequency is None:
            idle = parse_int(args[index + 1])
            if idle < 0:
                raise CommandError(errors.RESTORE_IDLETIME_NEGATIVE)
            index += 1
        elif word == b"FREQ" and has_argument and idle is None:
            frequency = parse_int(args[index + 1])
            if not 0 <= frequency <= 255:
                raise CommandError(errors.RESTORE_FREQ_RANGE)
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return replace, absolute


@command("restore", -4, "write denyoom", keys=(1, 1, 1), group="generic",
         categories=("@dangerous",))
def restore(ctx, args):
    """Create a key from a DUMP payload: key ttl payload [REPLACE] [ABSTTL] [IDLETIME s]
    [FREQ f]."""
    key, payload = args[0], args[2]
    replace, absolute = _parse_restore_options(args[3:])
    if not replace and ctx.get(key) is not None:
        raise CommandError(errors.BUSYKEY)
    ttl = parse_int(args[1])
    if ttl < 0:
        raise CommandError(errors.RESTORE_TTL_NEGATIVE)
    if not verify_footer(payload):
        raise CommandError(errors.DUMP_PAYLOAD_INVALID)
    try:
        value = load_value(payload)
    except RdbError:
        raise CommandError(errors.DUMP_BAD_DATA) from None
    when = ttl if absolute or not ttl else ttl + ctx.now_ms
    if ttl and when <= ctx.now_ms:
        ctx.delete(key)  # already expired: only the old value (REPLACE) goes away
        return OK
    ctx.set(key, value)
    if ttl:
        ctx.db.set_expire(key, when)
    return OK
