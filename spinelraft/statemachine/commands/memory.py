"""MEMORY USAGE / DOCTOR / MALLOC-STATS / PURGE / HELP (object.c memoryCommand).

MEMORY USAGE estimates what Redis 7.0 (jemalloc, 64-bit) would allocate for a key and its
value: the same formulas as objectComputeSize() over the encoding Redis would choose, with
jemalloc's size classes. Values are held very differently in this process, so it is a model
of Redis's footprint, not of this server's.
"""
import marshal
from collections import deque

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK, Simple, Verbatim, format_double
from spinelraft.statemachine.args import parse_int
from spinelraft.statemachine.rdb import listpack_encode, listpack_entry_size
from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue, encoding_name

DEFAULT_SAMPLES = 5
ALL_SAMPLES = 2**63 - 1  # SAMPLES 0
ROBJ = 16  # sizeof(robj)
DICT_ENTRY = 24
DICT = 56
QUICKLIST = 40
QUICKLIST_NODE = 40
ZSET_STRUCT = 16
SKIPLIST = 32
SKIPLIST_HEADER = 640  # zmalloc_size of a node with 32 levels (536 bytes)
SKIPLIST_NODE = 53  # expected allocation of a node with a random level (p = 1/4)
LISTPACK_NODE_BYTES = 8192
DOCTOR_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
    "be used in these conditions. Please, leave for your mission on Earth and fill it with some "
    "data. The new Sam and I will be back to our programming as soon as I finished rebooting."
)
DOCTOR_FINE = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
    "occurs on this base."
)
HELP = (
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
)


def allocation(size: int) -> int:
    """jemalloc's size class for a request: 8, 16, then steps of 16 up to 128, then four
    classes per doubling."""
    if size <= 8:
        return 8
    if size <= 128:
        return (size + 15) // 16 * 16
    step = (1 << (size - 1).bit_length()) // 8
    return (size + step - 1) // step * step


def sds_allocation(length: int) -> int:
    """sdsnewlen: header by length (sdshdr5 below 32 bytes), the bytes and a NUL."""
    for limit, header in ((32, 1), (1 << 8, 3), (1 << 16, 5), (1 << 32, 9)):
        if length < limit:
            return allocation(header + length + 1)
    return allocation(17 + length + 1)


def _table_slots(count: int) -> int:
    slots = 4
    while slots < count:
        slots *= 2
    return slots


def _sampled(sizes, count: int, samples: int) -> float:
    """Redis averages the first `samples` elements and scales to the whole container."""
    taken = sizes[:samples]
    return sum(taken) / len(taken) * count if taken else 0


def _string_size(value: bytes) -> int:
    kind = encoding_name(value)
    if kind == b"int":
        return ROBJ
    if kind == b"embstr":
        return allocation(ROBJ + 3 + len(value) + 1)
    return ROBJ + sds_allocation(len(value))


def _list_size(value, samples: int) -> float:
    """Quicklist nodes of up to 8 KB listpacks; the first `samples` nodes are measured and their
    average scaled to the node count, as Redis does."""
    nodes, size = [], 7
    for element in value:
        entry = listpack_entry_size(element)
        if nodes and size + entry <= LISTPACK_NODE_BYTES:
            size += entry
            nodes[-1] = size
        else:
            size = 7 + entry
            nodes.append(size)
    node_sizes = [QUICKLIST_NODE + allocation(node) for node in nodes[:samples]]
    return ROBJ + QUICKLIST + _sampled(node_sizes, len(nodes), samples)


def _hashtable_size(elements, count: int, samples: int) -> float:
    """elements: lists of the strings held by each dict entry."""
    sizes = [DICT_ENTRY + sum(sds_allocation(len(part)) for part in parts)
             for parts in elements[:samples]]
    return ROBJ + DICT + 8 * _table_slots(count) + _sampled(sizes, count, samples)


def _set_size(value, samples: int) -> float:
    if encoding_name(value) == b"intset":
        width = max((_int_width(int(member)) for member in value), default=2)
        return ROBJ + allocation(8 + width * len(value))
    members = [[member] for member in list(value)[:samples]]
    return _hashtable_size(members, len(value), samples)


def _int_width(number: int) -> int:
    if -(2**15) <= number < 2**15:
        return 2
    return 4 if -(2**31) <= number < 2**31 else 8


def _hash_size(value, samples: int) -> float:
    if encoding_name(value) == b"listpack":
        flat = [part for pair in value.items() for part in pair]
        return ROBJ + allocation(len(listpack_encode(flat)))
    pairs = [list(pair) for pair in list(value.items())[:samples]]
    return _hashtable_size(pairs, len(value), samples)


def _score_text(score: float) -> bytes:
    """d2string: integers below 2^52 print as integers (and become listpack integers)."""
    if score.is_integer() and -(2**52) < score < 2**52:
        return b"%d" % score
    return format_double(score)


def _zset_size(value, samples: int) -> float:
    if encoding_name(value) == b"listpack":
        flat = []
        for score, member in value.ordered:
            flat += [member, _score_text(score)]
        return ROBJ + allocation(len(listpack_encode(flat)))
    fixed = (ROBJ + ZSET_STRUCT + SKIPLIST + DICT + 8 * _table_slots(len(value))
             + SKIPLIST_HEADER)
    sizes = [sds_allocation(len(member)) + DICT_ENTRY + SKIPLIST_NODE
             for _, member in value.ordered.islice(0, samples)]
    return fixed + _sampled(sizes, len(value), samples)


def _other_size(value) -> int:
    """Module-like values: their own estimate, else the size of their snapshot encoding."""
    if hasattr(value, "memory_usage"):
        return value.memory_usage()
    from spinelraft.statemachine.snapshot import CODECS

    _, encode = CODECS[type(value)]
    return ROBJ + len(marshal.dumps(encode(value), 2))


def value_size(value, samples: int) -> int:
    kind = type(value)
    if kind is bytes:
        return _string_size(value)
    sizers = {deque: _list_size, SetValue: _set_size, HashValue: _hash_size,
              ZSetValue: _zset_size}
    sizer = sizers.get(kind)
    return int(sizer(value, samples)) if sizer else _other_size(value)


def _usage(ctx, args):
    samples = DEFAULT_SAMPLES
    index = 1
    while index < len(args):
        if args[index].upper() == b"SAMPLES" and index + 1 < len(args):
            samples = parse_int(args[index + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            samples = samples or ALL_SAMPLES
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    value = ctx.get(args[0])
    if value is None:
        return None
    return value_size(value, samples) + sds_allocation(len(args[0])) + DICT_ENTRY


def _doctor(ctx, args):
    empty = not any(db.data for db in ctx.machine.dbs)
    return Verbatim((DOCTOR_EMPTY if empty else DOCTOR_FINE).encode())


SUBCOMMANDS = {  # name -> (handler, arity as Redis declares it for MEMORY|<name>)
    b"USAGE": (_usage, -3),
    b"DOCTOR": (_doctor, 2),
    b"MALLOC-STATS": (lambda ctx, args: Verbatim(
        b"Stats not supported for the current allocator"), 2),
    b"PURGE": (lambda ctx, args: OK, 2),
    b"HELP": (lambda ctx, args: [Simple(line) for line in HELP], 2),
}


@command("memory", -2, "readonly", keys=(2, 2, 1), group="server")
def memory(ctx, args):
    """Memory introspection: USAGE key [SAMPLES n], DOCTOR, MALLOC-STATS, PURGE, HELP."""
    name = args[0].upper()
    handler, arity = SUBCOMMANDS.get(name, (None, 0))
    if handler is None:
        raise CommandError(errors.unknown_subcommand("memory", args[0]))
    argc = len(args) + 1
    if (arity > 0 and argc != arity) or (arity < 0 and argc < -arity):
        raise CommandError(errors.wrong_arity("memory|" + name.lower().decode()))
    return handler(ctx, args[1:])
