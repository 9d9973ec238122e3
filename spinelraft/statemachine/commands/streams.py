"""Stream commands (t_stream.c): XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD XGROUP XREADGROUP
XACK XPENDING XCLAIM XAUTOCLAIM XINFO XSETID, with Redis 7.0's replies and error texts.

Time comes from ctx.now_ms only: `*` IDs, delivery and seen times, idle times. An auto ID is
<now>-0, or the last ID plus one when the clock has not moved past it, so every replica
generates the same ID. BLOCK is parsed and then ignored here: a read that finds nothing
answers the null array, and the front end decides whether to wait and retry.
Arguments are checked in Redis's order and before anything changes (errors leave no trace).
"""
import re
from itertools import islice

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY, OK, KeyedArray, Map, Simple
from spinelraft.statemachine.args import c_string, keyword, parse_int, shown, to_int
from spinelraft.statemachine.stream_value import (
    APPROX_TRIM_LIMIT,
    ID_MAX,
    INVALID_ENTRIES_READ,
    LISTPACK_MAX_SIZE,
    UINT64_MAX,
    ConsumerGroup,
    PendingEntry,
    StreamValue,
    format_id,
    make_id,
)

GROUP = "stream"
ID_MAX_LENGTH = 127  # streamGenericParseIDOrReply copies IDs into a 128-byte buffer
# strtoull as string2ull falls back to it: C isspace() characters, a sign, decimal digits.
_STRTOULL = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)\Z")
XAUTOCLAIM_ATTEMPTS_FACTOR = 10
XAUTOCLAIM_COUNT_MAX = (2**63 - 1) // 16  # LONG_MAX / max(sizeof(streamID), attempts factor)
# Redis allocates COUNT * 16 bytes up front and fails when malloc does, which depends on the
# machine; a fixed bound (16 GiB worth) keeps every replica's answer the same.
XAUTOCLAIM_COUNT_ALLOCATABLE = 1 << 30
XINFO_FULL_COUNT = 10


def get_stream(ctx, key: bytes):
    """The stream at key, None if missing, WRONGTYPE otherwise."""
    return ctx.get_typed(key, StreamValue)


# -- IDs ---------------------------------------------------------------------------------------
def _to_uint64(text: bytes):
    """string2ull: string2ll when it applies (refusing negatives), else strtoull's looser rules
    (leading spaces, a sign, leading zeros; a minus sign wraps around as in C)."""
    number = to_int(text)
    if number is not None:
        return number if number >= 0 else None
    found = _STRTOULL.match(text)
    if found is None:
        return None
    number = int(found.group(2))
    if number > UINT64_MAX:
        return None
    return (-number) & UINT64_MAX if found.group(1) == b"-" else number


def _split_id(raw: bytes, missing_seq: int, strict: bool, auto_seq: bool):
    """(ms, seq) of an ID argument; seq is None for <ms>-* when auto_seq allows that form."""
    if len(raw) > ID_MAX_LENGTH:
        raise CommandError(errors.STREAM_INVALID_ID)
    text = c_string(raw)
    if text == b"-" or text == b"+":
        if strict:
            raise CommandError(errors.STREAM_INVALID_ID)
        return (0, 0) if text == b"-" else (UINT64_MAX, UINT64_MAX)
    ms_text, dash, seq_text = text.partition(b"-")
    ms = _to_uint64(ms_text)
    if ms is None:
        raise CommandError(errors.STREAM_INVALID_ID)
    if not dash:
        return ms, missing_seq
    if auto_seq and seq_text == b"*":
        return ms, None
    seq = _to_uint64(seq_text)
    if seq is None:
        raise CommandError(errors.STREAM_INVALID_ID)
    return ms, seq


def parse_id(raw: bytes, missing_seq: int = 0, strict: bool = False) -> int:
    """An ID: <ms>-<seq>, <ms> (seq = missing_seq), and unless strict "-" and "+"."""
    ms, seq = _split_id(raw, missing_seq, strict, auto_seq=False)
    return make_id(ms, seq)


def try_parse_strict_id(raw: bytes):
    try:
        return parse_id(raw, strict=True)
    except CommandError:
        return None


def parse_range_start(raw: bytes) -> int:
    """A range start: an incomplete ID means seq 0; "(" excludes the ID itself."""
    if len(raw) > 1 and raw[:1] == b"(":
        entry_id = parse_id(raw[1:], 0, strict=True)
        if entry_id == ID_MAX:
            raise CommandError(errors.INVALID_START_ID)
        return entry_id + 1
    return parse_id(raw, 0)


def parse_range_end(raw: bytes) -> int:
    """A range end: an incomplete ID means the largest seq; "(" excludes the ID itself."""
    if len(raw) > 1 and raw[:1] == b"(":
        entry_id = parse_id(raw[1:], UINT64_MAX, strict=True)
        if entry_id == 0:
            raise CommandError(errors.INVALID_END_ID)
        return entry_id - 1
    return parse_id(raw, UINT64_MAX)


# -- replies -------------------------------------------------------------------------------------
def entry_reply(entry_id: int, pairs: tuple) -> list:
    return [format_id(entry_id), list(pairs)]


def range_reply(stream: StreamValue, start: int, end: int, count, reverse: bool = False) -> list:
    """Entries with start <= id <= end, at most `count` of them (None: all)."""
    ids = stream.entries.irange(start, end, reverse=reverse)
    entries = stream.entries
    return [entry_reply(entry_id, entries[entry_id]) for entry_id in islice(ids, count)]


def help_reply(name: str, lines) -> list:
    """addReplyHelp: a header, the subcommands, then HELP itself, as status replies."""
    header = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % name
    footer = ("HELP", "    Prints this help.")
    return [Simple(line) for line in (header,) + tuple(lines) + footer]


def check_subcommand(name: str, table: dict, args):
    """Look a subcommand up and check its arity as Redis 7's subcommand table does."""
    subcommand = args[0].upper()
    found = table.get(subcommand)
    if found is None:
        raise CommandError(errors.unknown_subcommand(name, c_string(args[0])))
    arity = found[0]
    argc = len(args) + 1
    if (arity >= 0 and argc != arity) or (arity < 0 and argc < -arity):
        raise CommandError(errors.wrong_arity("%s|%s" % (name, subcommand.lower().decode())))
    return found[1]


def subcommand_syntax_error(name: str, raw: bytes) -> CommandError:
    return CommandError(errors.SUBCOMMAND_SYNTAX % (shown(raw)[:128], name.upper()))


# -- XADD / XTRIM --------------------------------------------------------------------------------
class TrimArguments:
    """What XADD and XTRIM share: the trim strategy; for XADD also NOMKSTREAM and the ID."""

    __slots__ = ("maxlen", "minid", "approx", "limit", "no_mkstream", "id_position", "id_ms",
                 "id_seq")

    def __init__(self):
        self.maxlen = None
        self.minid = None
        self.approx = False
        self.limit = 0
        self.no_mkstream = False
        self.id_position = 0
        self.id_ms = None  # None: "*"
        self.id_seq = None  # None with an id_ms: "<ms>-*"

    @property
    def trims(self) -> bool:
        return self.maxlen is not None or self.minid is not None


def _parse_strategy(args, position: int, parsed: TrimArguments) -> int:
    """MAXLEN|MINID [=|~] threshold at args[position]; returns the threshold's position."""
    if parsed.trims:
        raise CommandError(errors.MAXLEN_AND_MINID)
    more = len(args) - 1 - position
    by_length = keyword(args[position]) == b"MAXLEN"
    parsed.approx = False
    if more >= 2 and args[position + 1] in (b"~", b"="):
        parsed.approx = args[position + 1] == b"~"
        position += 1
    threshold = args[position + 1]
    if by_length:
        parsed.maxlen = parse_int(threshold)
        if parsed.maxlen < 0:
            raise CommandError(errors.MAXLEN_NEGATIVE)
    else:
        parsed.minid = parse_id(threshold, strict=True)
    return position + 1


def _check_limit(parsed: TrimArguments, limit_given: bool, xadd: bool):
    if parsed.limit and not parsed.trims:
        raise CommandError(errors.LIMIT_WITHOUT_STRATEGY)
    if not xadd and not parsed.trims:
        raise CommandError(errors.XTRIM_WITHOUT_STRATEGY)
    if limit_given:
        if not parsed.approx:
            raise CommandError(errors.LIMIT_WITHOUT_APPROX)
    else:
        parsed.limit = APPROX_TRIM_LIMIT if parsed.approx else 0


def parse_trim_arguments(args, xadd: bool) -> TrimArguments:
    """streamParseAddOrTrimArgsOrReply: options after the key; for XADD, up to the ID."""
    parsed = TrimArguments()
    limit_given = False
    position = 1
    while position < len(args):
        more = len(args) - 1 - position
        option = keyword(args[position])
        if xadd and c_string(args[position]) == b"*":
            break
        if option in (b"MAXLEN", b"MINID") and more:
            position = _parse_strategy(args, position, parsed)
        elif option == b"LIMIT" and more:
            parsed.limit = parse_int(args[position + 1])
            if parsed.limit < 0:
                raise CommandError(errors.STREAM_LIMIT_NEGATIVE)
            limit_given = True
            position += 1
        elif xadd and option == b"NOMKSTREAM":
            parsed.no_mkstream = True
        elif xadd:
            parsed.id_ms, parsed.id_seq = _split_id(args[position], 0, strict=True, auto_seq=True)
            break
        else:
            raise CommandError(errors.SYNTAX)
        position += 1
    parsed.id_position = position
    _check_limit(parsed, limit_given, xadd)
    return parsed


def next_entry_id(last_id: int, parsed: TrimArguments, now_ms: int) -> int:
    """The ID XADD adds: `*` from the entry's time, <ms>-* from the last ID, or as given."""
    if parsed.id_ms is None:
        if now_ms > last_id >> 64:
            return make_id(now_ms, 0)
        return last_id + 1
    if parsed.id_seq is None and parsed.id_ms == last_id >> 64:
        if last_id & UINT64_MAX == UINT64_MAX:
            raise CommandError(errors.XADD_ID_TOO_SMALL)
        return last_id + 1
    entry_id = make_id(parsed.id_ms, parsed.id_seq or 0)
    if entry_id <= last_id:
        raise CommandError(errors.XADD_ID_TOO_SMALL)
    return entry_id


def trim(stream: StreamValue, parsed: TrimArguments) -> int:
    return stream.trim(parsed.maxlen, parsed.minid, parsed.approx, parsed.limit)


@command("xadd", -5, "write denyoom fast", keys=(1, 1, 1), group=GROUP)
def xadd(ctx, args):
    """Append an entry to a stream (NOMKSTREAM, MAXLEN/MINID [=|~] [LIMIT], * or <ms>-* IDs)."""
    parsed = parse_trim_arguments(args, xadd=True)
    pairs = tuple(args[parsed.id_position + 1:])
    if len(pairs) < 2 or len(pairs) % 2:
        raise CommandError(errors.wrong_arity("xadd"))
    if parsed.id_ms == 0 and parsed.id_seq == 0:
        raise CommandError(errors.XADD_ID_ZERO)
    stream = get_stream(ctx, args[0])
    if stream is None and parsed.no_mkstream:
        return None
    if stream is not None and stream.last_id == ID_MAX:
        raise CommandError(errors.STREAM_EXHAUSTED)
    entry_id = next_entry_id(stream.last_id if stream else 0, parsed, ctx.now_ms)
    if sum(len(part) for part in pairs) > LISTPACK_MAX_SIZE:
        raise CommandError(errors.STREAM_ELEMENTS_TOO_LARGE)
    if stream is None:
        stream = StreamValue()
        ctx.set(args[0], stream)
    stream.append(entry_id, pairs)
    if parsed.trims:
        trim(stream, parsed)
    return format_id(entry_id)


@command("xtrim", -4, "write", keys=(1, 1, 1), group=GROUP)
def xtrim(ctx, args):
    """Trim a stream by MAXLEN or MINID [=|~] [LIMIT n]; returns the entries removed."""
    parsed = parse_trim_arguments(args, xadd=False)
    stream = get_stream(ctx, args[0])
    if stream is None:
        return 0
    return trim(stream, parsed)


@command("xdel", -3, "write fast", keys=(1, 1, 1), group=GROUP)
def xdel(ctx, args):
    """Delete entries by ID; returns how many existed."""
    stream = get_stream(ctx, args[0])
    if stream is None:
        return 0
    ids = [parse_id(raw, strict=True) for raw in args[1:]]
    return stream.delete(ids)


@command("xlen", 2, "readonly fast", keys=(1, 1, 1), group=GROUP)
def xlen(ctx, args):
    """The number of entries in a stream."""
    stream = get_stream(ctx, args[0])
    return stream.length if stream is not None else 0


# -- XRANGE / XREVRANGE --------------------------------------------------------------------------
def range_command(ctx, args, reverse: bool):
    first, second = (args[2], args[1]) if reverse else (args[1], args[2])
    start = parse_range_start(first)
    end = parse_range_end(second)
    count = None
    position = 3
    while position < len(args):
        if keyword(args[position]) != b"COUNT" or position + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        count = max(parse_int(args[position + 1]), 0)
        position += 2
    stream = get_stream(ctx, args[0])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return range_reply(stream, start, end, count, reverse)


@command("xrange", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def xrange(ctx, args):
    """Entries between two IDs ("-", "+", "(" for exclusive), optionally COUNT n."""
    return range_command(ctx, args, reverse=False)


@command("xrevrange", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def xrevrange(ctx, args):
    """Entries between two IDs, newest first (end before start), optionally COUNT n."""
    return range_command(ctx, args, reverse=True)


# -- XREAD / XREADGROUP --------------------------------------------------------------------------
def stream_keys(argv) -> list:
    """keys_fn for XREAD/XREADGROUP: the keys are the first half of what follows STREAMS."""
    position = 1
    while position < len(argv):
        word = keyword(bytes(argv[position]))
        if word in (b"BLOCK", b"COUNT"):
            position += 2
        elif word == b"GROUP":
            position += 3
        elif word == b"NOACK":
            position += 1
        elif word == b"STREAMS":
            remaining = len(argv) - position - 1
            if remaining == 0 or remaining % 2:
                return []
            return list(range(position + 1, position + 1 + remaining // 2))
        else:
            return []
    return []


class ReadArguments:
    __slots__ = ("count", "block_ms", "group_name", "consumer_name", "noack", "keys", "ids")

    def __init__(self):
        self.count = None  # None: no limit
        self.block_ms = None  # parsed for its errors; blocking is the front end's business
        self.group_name = None
        self.consumer_name = None
        self.noack = False
        self.keys = []
        self.ids = []


def _parse_read_option(args, position: int, parsed: ReadArguments, grouped: bool) -> int:
    """One option before STREAMS; returns the position of its last argument."""
    more = len(args) - 1 - position
    option = keyword(args[position])
    if option == b"BLOCK" and more:
        parsed.block_ms = parse_int(args[position + 1], errors.TIMEOUT_NOT_INTEGER)
        if parsed.block_ms < 0:
            raise CommandError(errors.TIMEOUT_NEGATIVE)
        return position + 1
    if option == b"COUNT" and more:
        count = parse_int(args[position + 1])
        parsed.count = count if count > 0 else None
        return position + 1
    if option == b"GROUP" and more >= 2:
        if not grouped:
            raise CommandError(errors.XREAD_GROUP_OPTION)
        parsed.group_name, parsed.consumer_name = args[position + 1], args[position + 2]
        return position + 2
    if option == b"NOACK":
        if not grouped:
            raise CommandError(errors.XREAD_NOACK_OPTION)
        parsed.noack = True
        return position
    raise CommandError(errors.SYNTAX)


def parse_read_arguments(args, grouped: bool) -> ReadArguments:
    parsed = ReadArguments()
    position = 0
    while position < len(args):
        if keyword(args[position]) == b"STREAMS" and position + 1 < len(args):
            streams = args[position + 1:]
            if len(streams) % 2:
                raise CommandError(errors.XREAD_UNBALANCED)
            half = len(streams) // 2
            parsed.keys, parsed.ids = streams[:half], streams[half:]
            break
        position = _parse_read_option(args, position, parsed, grouped) + 1
    if not parsed.keys:
        raise CommandError(errors.SYNTAX)
    if grouped and parsed.group_name is None:
        raise CommandError(errors.XREADGROUP_MISSING_GROUP)
    return parsed


def resolve_read_ids(ctx, parsed: ReadArguments, grouped: bool) -> list:
    """(key, stream, group, after_id) per stream, checked in argument order; ">" is ID_MAX."""
    resolved = []
    for key, raw in zip(parsed.keys, parsed.ids):
        stream = get_stream(ctx, key)
        group = None
        if parsed.group_name is not None:
            group = stream.groups.get(parsed.group_name) if stream is not None else None
            if group is None:
                raise CommandError(errors.NOGROUP_XREADGROUP % (
                    shown(key), shown(parsed.group_name)))
        if raw == b"$":
            if grouped:
                raise CommandError(errors.XREADGROUP_DOLLAR_ID)
            after = stream.last_id if stream is not None else 0
        elif raw == b">":
            if not grouped:
                raise CommandError(errors.XREAD_GREATER_ID)
            after = ID_MAX
        else:
            after = parse_id(raw, strict=True)
        resolved.append((key, stream, group, after))
    return resolved


@command("xread", -4, "readonly blocking movablekeys", keys_fn=stream_keys, group=GROUP)
def xread(ctx, args):
    """Entries after the given IDs ($: after the last) from one or more streams [COUNT n]."""
    parsed = parse_read_arguments(args, grouped=False)
    reply = []
    for key, stream, _, after in resolve_read_ids(ctx, parsed, grouped=False):
        if stream is not None and stream.entries and stream.top_id() > after:
            reply.append((key, range_reply(stream, after + 1, ID_MAX, parsed.count)))
    return KeyedArray(reply) if reply else NULL_ARRAY


def deliver_new_entries(ctx, stream, group, consumer, parsed: ReadArguments) -> list:
    """XREADGROUP ">": entries after the group's last delivered ID, added to the PEL."""
    reply = []
    for entry_id in islice(stream.entries.irange(group.last_id + 1, ID_MAX), parsed.count):
        stream.advance_group(group, entry_id)
        reply.append(entry_reply(entry_id, stream.entries[entry_id]))
        if not parsed.noack:
            group.deliver(entry_id, consumer, ctx.now_ms)
    return reply


def deliver_history(ctx, stream, consumer, start: int, count) -> list:
    """XREADGROUP with an ID: the consumer's own pending entries from that ID on; a deleted
    entry comes back as [id, nil]."""
    reply = []
    for entry_id in islice(consumer.pending.irange(start), count):
        pairs = stream.entries.get(entry_id)
        if pairs is None:
            reply.append([format_id(entry_id), NULL_ARRAY])
            continue
        reply.append(entry_reply(entry_id, pairs))
        nack = consumer.pending[entry_id]
        nack.delivery_time = ctx.now_ms
        nack.delivery_count += 1
    return reply


@command("xreadgroup", -7, "write blocking movablekeys", keys_fn=stream_keys, group=GROUP)
def xreadgroup(ctx, args):
    """Read as a consumer of a group: new entries (>) or the consumer's pending history."""
    parsed = parse_read_arguments(args, grouped=True)
    reply = []
    for key, stream, group, after in resolve_read_ids(ctx, parsed, grouped=True):
        history = after != ID_MAX
        if not history and not (stream.entries and stream.top_id() > group.last_id):
            continue  # nothing new: like Redis 7.0, the consumer is not even created
        consumer = group.consumer(parsed.consumer_name, ctx.now_ms)
        consumer.seen_time = ctx.now_ms
        if history:
            entries = deliver_history(ctx, stream, consumer, after + 1, parsed.count)
        else:
            entries = deliver_new_entries(ctx, stream, group, consumer, parsed)
        reply.append((key, entries))
    return KeyedArray(reply) if reply else NULL_ARRAY


# -- XGROUP --------------------------------------------------------------------------------------
XGROUP_HELP = (
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
)


def _parse_xgroup_options(args, subcommand: bytes):
    """MKSTREAM (CREATE) and ENTRIESREAD n (CREATE, SETID) after the ID."""
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    position = 4
    while position < len(args):
        option = keyword(args[position])
        if subcommand == b"CREATE" and option == b"MKSTREAM":
            mkstream = True
            position += 1
        elif (subcommand in (b"CREATE", b"SETID") and option == b"ENTRIESREAD"
              and position + 1 < len(args)):
            entries_read = parse_int(args[position + 1])
            if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                raise CommandError(errors.ENTRIESREAD_RANGE)
            position += 2
        else:
            raise subcommand_syntax_error("xgroup", args[0])
    return mkstream, entries_read


def _xgroup_create(ctx, args, stream, entries_read):
    if len(args) + 1 > 8:
        raise subcommand_syntax_error("xgroup", args[0])
    if args[3] == b"$":
        last_id = stream.last_id if stream is not None else 0
    else:
        last_id = parse_id(args[3], strict=True)
    if stream is None:
        stream = StreamValue()
        ctx.set(args[1], stream)
    if args[2] in stream.groups:
        raise CommandError(errors.BUSYGROUP)
    stream.groups[args[2]] = ConsumerGroup(last_id, entries_read)
    return OK


def _xgroup_setid(args, stream, group, entries_read):
    if len(args) + 1 not in (5, 7):
        raise subcommand_syntax_error("xgroup", args[0])
    last_id = stream.last_id if args[3] == b"$" else parse_id(args[3])
    group.last_id = last_id
    group.entries_read = entries_read
    return OK


def _xgroup_consumer(ctx, subcommand: bytes, args, group) -> int:
    """CREATECONSUMER (1 if created) or DELCONSUMER (its pending count, 0 if unknown)."""
    name = args[3]
    exists = name in group.consumers
    if subcommand == b"CREATECONSUMER":
        if exists:
            return 0
        group.consumer(name, ctx.now_ms)
        return 1
    return group.delete_consumer(name) if exists else 0


def xgroup_subcommand(ctx, args):
    """Everything but HELP: options, then the key, then the group, as xgroupCommand checks."""
    subcommand = args[0].upper()
    mkstream, entries_read = _parse_xgroup_options(args, subcommand)
    stream = get_stream(ctx, args[1])
    group = None
    if not mkstream:
        if stream is None:
            raise CommandError(errors.XGROUP_KEY_REQUIRED)
        group = stream.groups.get(args[2])
        if group is None and subcommand in (b"SETID", b"CREATECONSUMER", b"DELCONSUMER"):
            raise CommandError(errors.NOGROUP_FOR_KEY % (shown(args[2]), shown(args[1])))
    if subcommand == b"CREATE":
        return _xgroup_create(ctx, args, stream, entries_read)
    if subcommand == b"SETID":
        return _xgroup_setid(args, stream, group, entries_read)
    if subcommand == b"DESTROY":
        return 1 if stream.groups.pop(args[2], None) is not None else 0
    return _xgroup_consumer(ctx, subcommand, args, group)


XGROUP_SUBCOMMANDS = {
    b"CREATE": (-5, xgroup_subcommand),
    b"SETID": (-5, xgroup_subcommand),
    b"DESTROY": (4, xgroup_subcommand),
    b"CREATECONSUMER": (5, xgroup_subcommand),
    b"DELCONSUMER": (5, xgroup_subcommand),
    b"HELP": (2, lambda ctx, args: help_reply("XGROUP", XGROUP_HELP)),
}


@command("xgroup", -2, "write denyoom", keys=(2, 2, 1), group=GROUP)
def xgroup(ctx, args):
    """Manage consumer groups: CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP."""
    handler = check_subcommand("xgroup", XGROUP_SUBCOMMANDS, args)
    return handler(ctx, args)


# -- XACK / XPENDING -----------------------------------------------------------------------------
def get_group_or_fail(ctx, key: bytes, name: bytes):
    """The stream and group, or NOGROUP (XPENDING, XCLAIM, XAUTOCLAIM)."""
    stream = get_stream(ctx, key)
    group = stream.groups.get(name) if stream is not None else None
    if group is None:
        raise CommandError(errors.NOGROUP_KEY_OR_GROUP % (shown(key), shown(name)))
    return stream, group


@command("xack", -4, "write fast", keys=(1, 1, 1), group=GROUP)
def xack(ctx, args):
    """Remove entries from a group's pending list; returns how many were pending."""
    stream = get_stream(ctx, args[0])
    group = stream.groups.get(args[1]) if stream is not None else None
    if group is None:
        return 0
    ids = [parse_id(raw, strict=True) for raw in args[2:]]
    return sum(1 for entry_id in ids if group.acknowledge(entry_id))


def _parse_pending_range(args):
    """[IDLE min] start end count [consumer]: parsed before the key is looked up."""
    first = 2
    min_idle = 0
    if keyword(args[2]) == b"IDLE":
        min_idle = parse_int(args[3])
        if len(args) + 1 < 8:
            raise CommandError(errors.SYNTAX)
        first += 2
    count = max(parse_int(args[first + 2]), 0)
    start = parse_range_start(args[first])
    end = parse_range_end(args[first + 1])
    consumer = args[first + 3] if first + 3 < len(args) else None
    return min_idle, start, end, count, consumer


def pending_summary(group: ConsumerGroup) -> list:
    if not group.pending:
        return [0, None, None, NULL_ARRAY]
    ids = group.pending.keys()
    owners = [[name, b"%d" % len(consumer.pending)]
              for name, consumer in group.consumers.items() if consumer.pending]
    return [len(ids), format_id(ids[0]), format_id(ids[-1]), owners]


def pending_details(ctx, group: ConsumerGroup, pending_range) -> list:
    min_idle, start, end, count, consumer_name = pending_range
    pending = group.pending
    if consumer_name is not None:
        consumer = group.consumers.get(consumer_name)
        if consumer is None:
            return []
        pending = consumer.pending
    now = ctx.now_ms
    reply = []
    for entry_id in pending.irange(start, end):
        if len(reply) >= count:
            break
        nack = pending[entry_id]
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        idle = max(now - nack.delivery_time, 0)
        reply.append([format_id(entry_id), nack.consumer.name, idle, nack.delivery_count])
    return reply


@command("xpending", -3, "readonly", keys=(1, 1, 1), group=GROUP)
def xpending(ctx, args):
    """A group's pending entries: a summary, or [IDLE ms] start end count [consumer] details."""
    argc = len(args) + 1
    if argc != 3 and not 6 <= argc <= 9:
        raise CommandError(errors.SYNTAX)
    pending_range = _parse_pending_range(args) if argc >= 6 else None
    _, group = get_group_or_fail(ctx, args[0], args[1])
    if pending_range is None:
        return pending_summary(group)
    return pending_details(ctx, group, pending_range)


# -- XCLAIM / XAUTOCLAIM ------------------------------------------------------------------------
class ClaimOptions:
    __slots__ = ("delivery_time", "retry_count", "force", "justid", "last_id")

    def __init__(self):
        self.delivery_time = None
        self.retry_count = -1  # negative: not given
        self.force = False
        self.justid = False
        self.last_id = 0


def _parse_claim_options(args, position: int, now_ms: int) -> ClaimOptions:
    options = ClaimOptions()
    while position < len(args):
        more = len(args) - 1 - position
        option = keyword(args[position])
        if option == b"FORCE":
            options.force = True
        elif option == b"JUSTID":
            options.justid = True
        elif option == b"IDLE" and more:
            position += 1
            options.delivery_time = now_ms - parse_int(args[position], errors.XCLAIM_IDLE)
        elif option == b"TIME" and more:
            position += 1
            options.delivery_time = parse_int(args[position], errors.XCLAIM_TIME)
        elif option == b"RETRYCOUNT" and more:
            position += 1
            options.retry_count = parse_int(args[position], errors.XCLAIM_RETRYCOUNT)
        elif option == b"LASTID" and more:
            position += 1
            options.last_id = parse_id(args[position], strict=True)
        else:
            raise CommandError(errors.XCLAIM_UNRECOGNIZED % shown(args[position]))
        position += 1
    delivery = options.delivery_time
    if delivery is None or delivery < 0 or delivery > now_ms:
        options.delivery_time = now_ms  # a bogus time means "now", as Redis sanitises it
    return options


def _claim_one(ctx, stream, group, consumer_name, entry_id: int, min_idle: int, options):
    """XCLAIM one ID; returns the claiming consumer, or None when the ID is not claimed.
    Like Redis 7.0, the consumer is only looked up (and created) once something is claimed."""
    nack = group.pending.get(entry_id)
    if entry_id not in stream.entries:
        if nack is not None:
            group.acknowledge(entry_id)  # the entry is gone: drop it from the PEL
        return None
    if nack is None:
        if not options.force:
            return None
        nack = group.pending[entry_id] = PendingEntry(None, ctx.now_ms)
    elif min_idle and ctx.now_ms - nack.delivery_time < min_idle:
        return None
    consumer = group.consumer(consumer_name, ctx.now_ms)
    group.assign(entry_id, nack, consumer)
    nack.delivery_time = options.delivery_time
    if options.retry_count >= 0:
        nack.delivery_count = options.retry_count
    elif not options.justid:
        nack.delivery_count += 1
    return consumer


@command("xclaim", -6, "write fast", keys=(1, 1, 1), group=GROUP)
def xclaim(ctx, args):
    """Give pending entries idle for at least min-idle-time ms to another consumer."""
    stream, group = get_group_or_fail(ctx, args[0], args[1])
    min_idle = max(parse_int(args[3], errors.XCLAIM_MIN_IDLE), 0)
    ids = []
    position = 4
    while position < len(args):
        entry_id = try_parse_strict_id(args[position])
        if entry_id is None:
            break  # the options start here
        ids.append(entry_id)
        position += 1
    options = _parse_claim_options(args, position, ctx.now_ms)
    if options.last_id > group.last_id:
        group.last_id = options.last_id
    reply = []
    seen = False
    for entry_id in ids:
        consumer = _claim_one(ctx, stream, group, args[2], entry_id, min_idle, options)
        if consumer is None:
            continue
        if not seen:
            consumer.seen_time = ctx.now_ms
            seen = True
        pairs = stream.entries[entry_id]
        reply.append(format_id(entry_id) if options.justid else entry_reply(entry_id, pairs))
    return reply


def _parse_autoclaim(args):
    min_idle = max(parse_int(args[3], errors.XAUTOCLAIM_MIN_IDLE), 0)
    start = parse_range_start(args[4])
    count = 100
    justid = False
    position = 5
    while position < len(args):
        option = keyword(args[position])
        if option == b"COUNT" and position + 1 < len(args):
            count = to_int(args[position + 1])
            if count is None or not 1 <= count <= XAUTOCLAIM_COUNT_MAX:
                raise CommandError(errors.XAUTOCLAIM_COUNT)
            position += 1
        elif option == b"JUSTID":
            justid = True
        else:
            raise CommandError(errors.SYNTAX)
        position += 1
    return min_idle, start, count, justid


@command("xautoclaim", -6, "write fast", keys=(1, 1, 1), group=GROUP)
def xautoclaim(ctx, args):
    """Claim idle pending entries, scanning the PEL from a start ID [COUNT n] [JUSTID].

    Replies [next start ID, claimed entries, IDs of deleted entries dropped from the PEL]."""
    min_idle, start, count, justid = _parse_autoclaim(args)
    stream, group = get_group_or_fail(ctx, args[0], args[1])
    if count > XAUTOCLAIM_COUNT_ALLOCATABLE:
        raise CommandError(errors.XAUTOCLAIM_COUNT_TOO_HIGH)
    consumer = None  # looked up (and created) when the first entry is claimed, as in 7.0
    now = ctx.now_ms
    attempts = count * XAUTOCLAIM_ATTEMPTS_FACTOR
    candidates = list(islice(group.pending.irange(start), attempts + 1))
    claimed, deleted = [], []
    position = 0
    while attempts and count and position < len(candidates):
        attempts -= 1
        entry_id = candidates[position]
        position += 1
        nack = group.pending[entry_id]
        if entry_id not in stream.entries:
            group.acknowledge(entry_id)
            deleted.append(format_id(entry_id))
            count -= 1
            continue
        if min_idle and now - nack.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = group.consumer(args[2], now)
            consumer.seen_time = now
        group.assign(entry_id, nack, consumer)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        claimed.append(format_id(entry_id) if justid else entry_reply(
            entry_id, stream.entries[entry_id]))
        count -= 1
    cursor = candidates[position] if position < len(candidates) else 0
    return [format_id(cursor), claimed, deleted]


# -- XINFO ---------------------------------------------------------------------------------------
XINFO_HELP = (
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
)


def _entries_read_reply(group: ConsumerGroup):
    return None if group.entries_read == INVALID_ENTRIES_READ else group.entries_read


def _info_consumers(ctx, stream, args) -> list:
    group = stream.groups.get(args[2])
    if group is None:
        raise CommandError(errors.NOGROUP_FOR_KEY % (shown(args[2]), shown(args[1])))
    return [Map([(b"name", name), (b"pending", len(consumer.pending)),
                 (b"idle", max(ctx.now_ms - consumer.seen_time, 0))])
            for name, consumer in group.consumers.items()]


def _info_groups(ctx, stream, args) -> list:
    return [Map([(b"name", name), (b"consumers", len(group.consumers)),
                 (b"pending", len(group.pending)), (b"last-delivered-id", format_id(group.last_id)),
                 (b"entries-read", _entries_read_reply(group)), (b"lag", stream.group_lag(group))])
            for name, group in stream.groups.items()]


def _stream_header(stream: StreamValue) -> list:
    return [(b"length", stream.length), (b"radix-tree-keys", len(stream.nodes)),
            (b"radix-tree-nodes", stream.radix_tree_nodes()),
            (b"last-generated-id", format_id(stream.last_id)),
            (b"max-deleted-entry-id", format_id(stream.max_deleted_id)),
            (b"entries-added", stream.entries_added),
            (b"recorded-first-entry-id", format_id(stream.first_id))]


def _edge_entry(stream: StreamValue, last: bool):
    if not stream.entries:
        return None
    entry_id = stream.entries.keys()[-1 if last else 0]
    return entry_reply(entry_id, stream.entries[entry_id])


def _full_group(stream: StreamValue, name: bytes, group: ConsumerGroup, count) -> Map:
    pending = [[format_id(entry_id), nack.consumer.name, nack.delivery_time, nack.delivery_count]
               for entry_id, nack in islice(group.pending.items(), count)]
    consumers = [Map([(b"name", consumer.name), (b"seen-time", consumer.seen_time),
                      (b"pel-count", len(consumer.pending)),
                      (b"pending", [[format_id(entry_id), nack.delivery_time, nack.delivery_count]
                                    for entry_id, nack in islice(consumer.pending.items(), count)])])
                 for consumer in group.consumers.values()]
    return Map([(b"name", name), (b"last-delivered-id", format_id(group.last_id)),
                (b"entries-read", _entries_read_reply(group)), (b"lag", stream.group_lag(group)),
                (b"pel-count", len(group.pending)), (b"pending", pending),
                (b"consumers", consumers)])


def _parse_full_count(args):
    """[FULL [COUNT n]] after XINFO STREAM key: None without FULL, else the count (None: all)."""
    options = args[2:]
    if not options:
        return None
    if len(options) not in (1, 3) or keyword(options[0]) != b"FULL":
        raise subcommand_syntax_error("xinfo", args[0])
    if len(options) == 1:
        return XINFO_FULL_COUNT
    if keyword(options[1]) != b"COUNT":
        raise subcommand_syntax_error("xinfo", args[0])
    count = parse_int(options[2])
    if count < 0:
        return XINFO_FULL_COUNT
    return count or None


def _info_stream(ctx, stream, args) -> Map:
    items = _stream_header(stream)
    if len(args) == 2:
        items += [(b"groups", len(stream.groups)), (b"first-entry", _edge_entry(stream, False)),
                  (b"last-entry", _edge_entry(stream, True))]
        return Map(items)
    count = _parse_full_count(args)
    items.append((b"entries", range_reply(stream, 0, ID_MAX, count)))
    items.append((b"groups", [_full_group(stream, name, group, count)
                              for name, group in stream.groups.items()]))
    return Map(items)


XINFO_SUBCOMMANDS = {
    b"CONSUMERS": (4, _info_consumers),
    b"GROUPS": (3, _info_groups),
    b"STREAM": (-3, _info_stream),
    b"HELP": (2, None),
}


@command("xinfo", -2, "readonly", keys=(2, 2, 1), group=GROUP)
def xinfo(ctx, args):
    """Stream introspection: STREAM [FULL [COUNT n]], GROUPS, CONSUMERS, HELP."""
    handler = check_subcommand("xinfo", XINFO_SUBCOMMANDS, args)
    if handler is None:
        return help_reply("XINFO", XINFO_HELP)
    stream = get_stream(ctx, args[1])
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    return handler(ctx, stream, args)


# -- XSETID --------------------------------------------------------------------------------------
def _parse_setid_options(args, last_id: int):
    entries_added = -1
    max_deleted_id = 0
    position = 2
    while position < len(args):
        option = keyword(args[position])
        if position + 1 >= len(args):
            raise CommandError(errors.SYNTAX)
        if option == b"ENTRIESADDED":
            entries_added = parse_int(args[position + 1])
            if entries_added < 0:
                raise CommandError(errors.XSETID_ENTRIES_ADDED_NEGATIVE)
        elif option == b"MAXDELETEDID":
            max_deleted_id = parse_id(args[position + 1], strict=True)
            if last_id < max_deleted_id:
                raise CommandError(errors.XSETID_BELOW_GIVEN_MAX_DELETED)
        else:
            raise CommandError(errors.SYNTAX)
        position += 2
    return entries_added, max_deleted_id


@command("xsetid", -3, "write denyoom fast", keys=(1, 1, 1), group=GROUP)
def xsetid(ctx, args):
    """Set a stream's last ID [ENTRIESADDED n] [MAXDELETEDID id]."""
    last_id = parse_id(args[1], strict=True)
    entries_added, max_deleted_id = _parse_setid_options(args, last_id)
    stream = get_stream(ctx, args[0])
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if stream.entries:
        if last_id < stream.top_id():
            raise CommandError(errors.XSETID_BELOW_TOP)
        if entries_added != -1 and stream.length > entries_added:
            raise CommandError(errors.XSETID_ENTRIES_ADDED_SMALL)
    stream.last_id = last_id
    if entries_added != -1:
        stream.entries_added = entries_added
    if max_deleted_id:
        stream.max_deleted_id = max_deleted_id
    return OK
