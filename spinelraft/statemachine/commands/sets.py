"""Set commands (t_set.c): membership, random pops and picks, SMOVE, the algebra and SSCAN.

Sets are SetValue dicts (member -> None), changed in place; a set that loses its last member is
deleted. Replies list members in Redis 7.0's iteration order where it is defined: a small set
of integers (intset encoding) iterates in numeric order, any other set in insertion order.
"""
from spinelraft import errors
from spinelraft.command_table import command, numkeys_at
from spinelraft.errors import CommandError
from spinelraft.replies import SetReply
from spinelraft.statemachine.args import keyword, to_int
from spinelraft.statemachine.commands.hashes import (
    parse_random_count,
    random_member,
    random_picks,
    scan_step,
)
from spinelraft.statemachine.scan import parse_cursor
from spinelraft.statemachine.values import SetValue, encoding_name

LIMIT = b"LIMIT"


def get_set(ctx, key):
    """The set at key, None if missing, WRONGTYPE otherwise."""
    return ctx.get_typed(key, SetValue)


def set_for_write(ctx, key) -> SetValue:
    """The set at key, created (and stored) when missing; WRONGTYPE otherwise."""
    return ctx.get_or_create(key, SetValue)


def ordered_members(value) -> list:
    """Members in the order Redis iterates them (numeric for an intset-encoded set)."""
    if encoding_name(value) == b"intset":
        return sorted(value, key=int)
    return list(value)


def set_reply(value) -> SetReply:
    return SetReply(() if value is None else ordered_members(value))


# -- membership ----------------------------------------------------------------------------
@command("sadd", -3, "write denyoom fast", keys=(1, 1, 1), group="set")
def sadd(ctx, args):
    """Add members; returns how many were not already in the set."""
    value = set_for_write(ctx, args[0])
    before = len(value)
    value.update(dict.fromkeys(args[1:]))
    return len(value) - before


@command("srem", -3, "write fast", keys=(1, 1, 1), group="set")
def srem(ctx, args):
    """Remove members; returns how many were in the set. The key goes with its last member."""
    value = get_set(ctx, args[0])
    if value is None:
        return 0
    before = len(value)
    for member in args[1:]:
        value.pop(member, None)
    ctx.delete_if_empty(args[0], value)
    return before - len(value)


@command("smembers", 2, "readonly", keys=(1, 1, 1), group="set")
def smembers(ctx, args):
    """All members of the set."""
    return set_reply(get_set(ctx, args[0]))


@command("sismember", 3, "readonly fast", keys=(1, 1, 1), group="set")
def sismember(ctx, args):
    """Whether the member is in the set (1 or 0)."""
    value = get_set(ctx, args[0])
    return int(value is not None and args[1] in value)


@command("smismember", -3, "readonly fast", keys=(1, 1, 1), group="set")
def smismember(ctx, args):
    """Membership (1 or 0) of each of several members."""
    value = get_set(ctx, args[0]) or {}
    return [int(member in value) for member in args[1:]]


@command("scard", 2, "readonly fast", keys=(1, 1, 1), group="set")
def scard(ctx, args):
    """Number of members."""
    value = get_set(ctx, args[0])
    return 0 if value is None else len(value)


# -- random members ----------------------------------------------------------------------------
def parse_pop_count(raw: bytes) -> int:
    """SPOP's count: a non-negative int64; Redis words every failure the same way."""
    count = to_int(raw)
    if count is None or count < 0:
        raise CommandError(errors.NOT_POSITIVE)
    return count


@command("spop", -2, "write fast", keys=(1, 1, 1), group="set")
def spop(ctx, args):
    """Remove and return one random member, or a set of `count` distinct ones."""
    if len(args) > 2:
        raise CommandError(errors.SYNTAX)
    key = args[0]
    if len(args) == 1:
        value = get_set(ctx, key)
        if value is None:
            return None
        member = random_member(ctx.rng, value)
        del value[member]
        ctx.delete_if_empty(key, value)
        return member
    count = parse_pop_count(args[1])
    value = get_set(ctx, key)
    if value is None or count == 0:
        return SetReply(())
    if count >= len(value):
        members = ordered_members(value)
        ctx.delete(key)
        return SetReply(members)
    members = ctx.rng.sample(list(value), count)
    for member in members:
        del value[member]
    return SetReply(members)


@command("srandmember", -2, "readonly", keys=(1, 1, 1), group="set")
def srandmember(ctx, args):
    """One random member, or `count` of them: distinct if positive, possibly repeated if
    negative."""
    if len(args) > 2:
        raise CommandError(errors.SYNTAX)
    if len(args) == 1:
        value = get_set(ctx, args[0])
        return None if value is None else random_member(ctx.rng, value)
    count = parse_random_count(args[1])
    value = get_set(ctx, args[0])
    if value is None or count == 0:
        return []
    return list(random_picks(ctx.rng, ordered_members(value), count))


@command("smove", 4, "write fast", keys=(1, 2, 1), group="set")
def smove(ctx, args):
    """Move a member from one set to another (1 if it was moved)."""
    source_key, destination_key, member = args
    source = ctx.get(source_key)
    destination = ctx.get(destination_key)
    if source is None:  # Redis answers 0 before looking at either type
        return 0
    if type(source) is not SetValue or (
        destination is not None and type(destination) is not SetValue
    ):
        raise CommandError(errors.WRONGTYPE)
    if source is destination:
        return int(member in source)
    if member not in source:
        return 0
    del source[member]
    ctx.delete_if_empty(source_key, source)
    set_for_write(ctx, destination_key)[member] = None
    return 1


# -- algebra -------------------------------------------------------------------------------
def load_sets(ctx, keys) -> list:
    """The set of every key (None when missing). Redis type-checks every key before it
    computes anything, so a wrong type anywhere fails the whole command."""
    return [get_set(ctx, key) for key in keys]


def intersect(sets, limit: int = 0) -> SetValue:
    """Members present in every set; stops at `limit` members when limit > 0."""
    if any(value is None for value in sets):
        return SetValue()
    # iterate the smallest set; smaller sets first are likelier to reject a member early
    smallest, *others = sorted(sets, key=len)
    result = SetValue()
    for member in smallest:
        if all(member in other for other in others):
            result[member] = None
            if limit and len(result) >= limit:
                break
    return result


def union(sets) -> SetValue:
    result = SetValue()
    for value in sets:
        if value is not None:
            result.update(value)
    return result


def difference(sets) -> SetValue:
    """Members of the first set found in none of the others."""
    first, others = sets[0], sets[1:]
    if first is None:
        return SetValue()
    result = SetValue(first)
    for other in others:
        if not result:
            break
        if other is None:
            continue
        if len(other) < len(result):
            for member in other:
                result.pop(member, None)
        else:
            result = SetValue((member, None) for member in result if member not in other)
    return result


def store(ctx, destination: bytes, result: SetValue) -> int:
    """*STORE: replace the destination (any type, TTL dropped); an empty result deletes it."""
    if result:
        ctx.set(destination, result)
    else:
        ctx.delete(destination)
    return len(result)


@command("sinter", -2, "readonly", keys=(1, -1, 1), group="set")
def sinter(ctx, args):
    """Members common to all the sets."""
    return set_reply(intersect(load_sets(ctx, args)))


@command("sinterstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sinterstore(ctx, args):
    """Store the intersection of sets; returns its size."""
    return store(ctx, args[0], intersect(load_sets(ctx, args[1:])))


@command("sunion", -2, "readonly", keys=(1, -1, 1), group="set")
def sunion(ctx, args):
    """Members of any of the sets."""
    return set_reply(union(load_sets(ctx, args)))


@command("sunionstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sunionstore(ctx, args):
    """Store the union of sets; returns its size."""
    return store(ctx, args[0], union(load_sets(ctx, args[1:])))


@command("sdiff", -2, "readonly", keys=(1, -1, 1), group="set")
def sdiff(ctx, args):
    """Members of the first set that are in none of the others."""
    return set_reply(difference(load_sets(ctx, args)))


@command("sdiffstore", -3, "write denyoom", keys=(1, -1, 1), group="set")
def sdiffstore(ctx, args):
    """Store the difference of sets; returns its size."""
    return store(ctx, args[0], difference(load_sets(ctx, args[1:])))


def parse_intercard_args(args):
    """SINTERCARD numkeys key [key ...] [LIMIT limit] -> (keys, limit), checked as Redis does."""
    numkeys = to_int(args[0])
    if numkeys is None or numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    if numkeys > len(args) - 1:
        raise CommandError(errors.NUMKEYS_OVER_ARGS)
    limit = 0
    index = 1 + numkeys
    while index < len(args):
        if keyword(args[index]) == LIMIT and index + 1 < len(args):
            limit = to_int(args[index + 1])
            if limit is None or limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    return args[1 : 1 + numkeys], limit


@command("sintercard", -3, "readonly movablekeys", keys_fn=numkeys_at(1), group="set")
def sintercard(ctx, args):
    """Size of the intersection of sets, counting no further than LIMIT (0: no limit)."""
    keys, limit = parse_intercard_args(args)
    return len(intersect(load_sets(ctx, keys), limit))


# -- scanning ----------------------------------------------------------------------------------
@command("sscan", -3, "readonly", keys=(1, 1, 1), group="set")
def sscan(ctx, args):
    """Incrementally iterate members (MATCH, COUNT)."""
    parse_cursor(args[1])  # Redis checks the cursor before the key
    value = get_set(ctx, args[0])
    if value is None:
        return [b"0", []]
    small = encoding_name(value) == b"intset"
    members = ordered_members(value) if small else list(value)
    cursor, found, _ = scan_step(members, args[1:], small)
    return [b"%d" % cursor, found]
