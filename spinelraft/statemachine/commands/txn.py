"""SpinelRaft's own data commands, behind the gRPC API (callable over RESP too).

SPINELRAFT.TXN      compare, then apply one of two op lists: one state-machine operation
SPINELRAFT.SCAN     keys in byte order, by prefix and/or range, one page at a time
SPINELRAFT.KEYINFO  type, string value, version and TTL of keys, read in one step

A key's version is its WATCH version (Database.version): the state machine's change counter at
the key's last change, the same number the change feed uses as a position.

SPINELRAFT.TXN ncompares [kind key operator target]... nsuccess [argc arg...]... nfailure [argc arg...]...
  kind: VALUE (string value), VERSION, EXISTS (target 0|1, EQ/NE only), TTL (ms; -1 none, -2 missing)
  operator: EQ NE LT GT
  reply: [1 if every compare held else 0, [one reply per op of the branch that ran],
          [key, version, ...] for the keys named by the compares and by the ops that ran]
If an op fails, the ops before it are undone and the error is the reply: all or nothing.
"""
import heapq

from spinelraft import errors
from spinelraft.command_table import COMMANDS, command
from spinelraft.errors import CommandError
from spinelraft.replies import ErrorReply
from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.context import Context
from spinelraft.statemachine.values import copy_value, type_name

COMPARE_KINDS = (b"VALUE", b"VERSION", b"EXISTS", b"TTL")
OPERATORS = (b"EQ", b"NE", b"LT", b"GT")
# Commands that change more than the keys they name (or the connection): refused as ops.
REFUSED_OPS = frozenset((b"flushdb", b"flushall", b"swapdb", b"move", b"copy", b"select", b"sort",
                         b"georadius", b"georadiusbymember", b"spinelraft.txn", b"migrate"))
SCAN_LIMIT_MAX = 10_000
_SEED_STEP = 0x9E3779B97F4A7C15
_SEED_MASK = (1 << 64) - 1


def _no_keys(argv) -> list:
    """The state machine bumps the versions of a write's keys after it; a TXN's ops bump their
    own keys, and compared keys must keep their versions, so TXN names none (see txn_keys)."""
    return []


def txn_keys(argv) -> list:
    """Every key a SPINELRAFT.TXN argv names, compares first, in first-mention order (routing)."""
    compares, success, failure = parse_txn(argv[1:])
    return _unique([key for _, key, _, _ in compares] + _op_keys(success) + _op_keys(failure))


# -- parsing ------------------------------------------------------------------------------------------
def _count(args, index: int) -> int:
    if index >= len(args):
        raise CommandError(errors.SYNTAX)
    count = to_int(args[index])
    if count is None or count < 0:
        raise CommandError(errors.SYNTAX)
    return count


def _parse_compare(kind: bytes, key: bytes, operator: bytes, raw: bytes):
    kind, operator = kind.upper(), operator.upper()
    if kind not in COMPARE_KINDS or operator not in OPERATORS:
        raise CommandError(errors.SYNTAX)
    if kind == b"VALUE":
        return kind, key, operator, raw
    target = to_int(raw)
    if target is None:
        raise CommandError(errors.NOT_INTEGER)
    if kind == b"EXISTS" and (target not in (0, 1) or operator not in (b"EQ", b"NE")):
        raise CommandError(errors.SYNTAX)
    return kind, key, operator, target


def _parse_ops(args, index: int):
    """args[index] is the op count; returns (ops, the index after the last op)."""
    count = _count(args, index)
    index += 1
    ops = []
    for _ in range(count):
        argc = _count(args, index)
        if argc < 1 or index + 1 + argc > len(args):
            raise CommandError(errors.SYNTAX)
        ops.append(tuple(args[index + 1:index + 1 + argc]))
        index += 1 + argc
    return ops, index


def parse_txn(args):
    """(compares, success ops, failure ops) from the arguments after the command name."""
    compares = []
    index = 1
    for _ in range(_count(args, 0)):
        if index + 4 > len(args):
            raise CommandError(errors.SYNTAX)
        compares.append(_parse_compare(*args[index:index + 4]))
        index += 4
    success, index = _parse_ops(args, index)
    failure, index = _parse_ops(args, index)
    if index != len(args):
        raise CommandError(errors.SYNTAX)
    for argv in success + failure:
        _check_op(argv)
    return compares, success, failure


def _check_op(argv):
    name = argv[0].lower()
    spec = COMMANDS.get(name)
    if spec is None or spec.kind != "data":
        raise CommandError(errors.unknown_command(argv[0], argv[1:]))
    if name in REFUSED_OPS:
        raise CommandError("ERR '%s' is not allowed inside SPINELRAFT.TXN" % spec.name)
    if not spec.check_arity(len(argv)):
        raise CommandError(errors.wrong_arity(spec.name))


def _op_keys(ops) -> list:
    return [key for argv in ops for key in COMMANDS[argv[0].lower()].keys(argv)]


def _unique(keys) -> list:
    return list(dict.fromkeys(keys))


# -- SPINELRAFT.TXN -----------------------------------------------------------------------------------
def _compare(operator: bytes, current, target) -> bool:
    if operator == b"EQ":
        return current == target
    if operator == b"NE":
        return current != target
    if operator == b"LT":
        return current < target
    return current > target


def _holds(ctx, kind: bytes, key: bytes, operator: bytes, target) -> bool:
    value = ctx.get(key)  # applied from the log: an expired key goes first (its version moves)
    if kind == b"VALUE":
        if value is None:
            return operator == b"NE"
        if type(value) is not bytes:
            raise CommandError(errors.WRONGTYPE)
        return _compare(operator, value, target)
    if kind == b"VERSION":
        return _compare(operator, ctx.db.version(key), target)
    if kind == b"EXISTS":
        return _compare(operator, int(value is not None), target)
    return _compare(operator, -2 if value is None else ctx.ttl_ms(key), target)


def _save(ctx, saved: dict, keys):
    for key in keys:
        if key not in saved:
            value = ctx.get(key)
            saved[key] = (None if value is None else copy_value(value), ctx.db.expires.get(key))


def _restore(ctx, saved: dict):
    """Put the saved keys back as they were before the first op (a new version for each)."""
    db = ctx.db
    for key, (value, expire_at) in saved.items():
        if value is None:
            db.delete(key)
        else:
            db.set(key, value)
            if expire_at is not None:
                db.set_expire(key, expire_at)
        ctx.machine.touch(db, key)


def _run_ops(ctx, ops) -> list:
    """Run the ops in order; on an error undo the ones before it and raise it. An op that fails
    changes nothing by contract, so the keys of the last op need no copy."""
    machine = ctx.machine
    saved = {}
    replies = []
    for position, argv in enumerate(ops):
        spec = COMMANDS[argv[0].lower()]
        if position < len(ops) - 1 and spec.is_write:
            _save(ctx, saved, spec.keys(argv))
        seed = (ctx.seed + (position + 1) * _SEED_STEP) & _SEED_MASK
        reply = machine.execute(Context(machine, ctx.db_index, ctx.now_ms, seed, True), argv)
        if type(reply) is ErrorReply:
            _restore(ctx, saved)
            raise CommandError(reply.message)
        replies.append(reply)
    return replies


@command("spinelraft.txn", -4, "write denyoom", keys_fn=_no_keys, route_keys_fn=txn_keys, group="transactions",
         summary="Compare keys, then apply one of two op lists atomically (gRPC Txn)")
def txn(ctx, args):
    compares, success, failure = parse_txn(args)
    holds = all([_holds(ctx, *compare) for compare in compares])
    ops = success if holds else failure
    replies = _run_ops(ctx, ops)
    versions = []
    for key in _unique([compare[1] for compare in compares] + _op_keys(ops)):
        versions += [key, ctx.db.version(key)]
    return [1 if holds else 0, replies, versions]


# -- SPINELRAFT.SCAN ----------------------------------------------------------------------------------
def _parse_scan(args):
    """cursor [PREFIX p] [START s] [END e] [LIMIT n] [KEYSONLY] -> options."""
    cursor = args[0]
    if cursor and not cursor.startswith(b"k"):
        raise CommandError(errors.INVALID_CURSOR)
    options = {"after": cursor[1:] if cursor else None, "prefix": b"", "start": b"", "end": b"",
               "limit": 100, "keys_only": False}
    index = 1
    while index < len(args):
        option = args[index].upper()
        if option == b"KEYSONLY":
            options["keys_only"] = True
            index += 1
            continue
        if index + 1 >= len(args) or option not in (b"PREFIX", b"START", b"END", b"LIMIT"):
            raise CommandError(errors.SYNTAX)
        if option == b"LIMIT":
            limit = to_int(args[index + 1])
            if limit is None or not 1 <= limit <= SCAN_LIMIT_MAX:
                raise CommandError("ERR LIMIT must be between 1 and %d" % SCAN_LIMIT_MAX)
            options["limit"] = limit
        else:
            options[option.lower().decode()] = args[index + 1]
        index += 2
    return options


def _selected(key: bytes, options) -> bool:
    after = options["after"]
    return (key.startswith(options["prefix"]) and key >= options["start"]
            and (not options["end"] or key < options["end"]) and (after is None or key > after))


@command("spinelraft.scan", -2, "readonly", group="generic", fan_out="range-scan",
         summary="Keys in byte order by prefix and/or range, one page at a time (gRPC Scan)")
def scan(ctx, args):
    """Reply: [next cursor (empty after the last page), [[key, type, value or nil, version]...]]."""
    options = _parse_scan(args)
    limit = options["limit"]
    db = ctx.db
    now_ms = ctx.now_ms
    candidates = (key for key in db.data if _selected(key, options) and not db.is_expired(key, now_ms))
    page = heapq.nsmallest(limit + 1, candidates)
    more = len(page) > limit
    page = page[:limit]
    entries = []
    for key in page:
        if options["keys_only"]:
            entries.append([key, None, None, 0])
            continue
        value = db.data[key]
        entries.append([key, type_name(value), value if type(value) is bytes else None,
                        db.version(key)])
    return [b"k" + page[-1] if more else b"", entries]


# -- SPINELRAFT.KEYINFO -------------------------------------------------------------------------------
@command("spinelraft.keyinfo", -2, "readonly fast", keys=(1, -1, 1), group="generic",
         summary="Type, string value, version and TTL of keys, read in one step (gRPC Get)")
def keyinfo(ctx, args):
    """Reply: one [type, value (strings only, else nil), version, ttl ms (-1 none, -2 missing)]
    per key; a missing key has type none."""
    rows = []
    for key in args:
        value = ctx.get(key)
        if value is None:
            rows.append([b"none", None, ctx.db.version(key), -2])
            continue
        rows.append([type_name(value), value if type(value) is bytes else None,
                     ctx.db.version(key), ctx.ttl_ms(key)])
    return rows
