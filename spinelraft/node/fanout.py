"""How the replies of a keyless command run on every shard become one reply (command table's
`fan_out`). Each combiner gets the command's argv and the replies in shard order; an error from
any shard is the reply."""
import random

from spinelraft.replies import OK, ErrorReply
from spinelraft.statemachine.args import to_int


def _first_error(replies):
    return next((reply for reply in replies if type(reply) is ErrorReply), None)


def _sum(argv, replies):
    return _first_error(replies) or sum(replies)


def _concat(argv, replies):
    return _first_error(replies) or [item for reply in replies for item in reply]


def _all_ok(argv, replies):
    return _first_error(replies) or OK


def _random(argv, replies):
    """RANDOMKEY: a key of a random shard that has any."""
    error = _first_error(replies)
    if error is not None:
        return error
    found = [reply for reply in replies if reply is not None]
    return random.choice(found) if found else None


def _range_scan(argv, replies):
    """SPINELRAFT.SCAN: each shard gave its first `limit` keys after the cursor, in byte
    order; the page is the first `limit` of their union, and more follow if any shard had more
    or the union is longer."""
    error = _first_error(replies)
    if error is not None:
        return error
    limit = 100
    options = [part.upper() for part in argv]
    if b"LIMIT" in options:
        limit = to_int(argv[options.index(b"LIMIT") + 1]) or limit
    entries = sorted((entry for _, page in replies for entry in page), key=lambda entry: entry[0])
    more = len(entries) > limit or any(cursor for cursor, _ in replies)
    page = entries[:limit]
    return [b"k" + page[-1][0] if more and page else b"", page]


COMBINERS = {
    "sum": _sum,
    "concat": _concat,
    "all-ok": _all_ok,
    "random": _random,
    "range-scan": _range_scan,
    "scan": None,  # stepped shard by shard (Node._scan_step), not combined
}
