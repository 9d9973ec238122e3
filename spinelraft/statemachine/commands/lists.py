"""List commands (t_list.c): pushes, pops, ranges, LINSERT/LSET/LREM/LTRIM, LPOS, LMOVE, LMPOP.

Lists are collections.deque values changed in place; a list that loses its last element is
deleted. Work is kept proportional to what Redis touches: ranges are read from the nearer end
with islice, trims pop from the ends or rebuild from the kept slice, whichever is shorter.
The blocking variants (BLPOP, BLMOVE, BLMPOP...) are not part of this module.
"""
from collections import deque
from itertools import islice

from spinelraft import errors
from spinelraft.command_table import command, numkeys_at
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY, OK
from spinelraft.statemachine.args import INT64_MIN, keyword, parse_int, parse_mpop_count, to_int

LEFT = b"LEFT"
RIGHT = b"RIGHT"
BEFORE = b"BEFORE"
AFTER = b"AFTER"
# Above this many removals LREM rebuilds the list once instead of deleting one by one.
LREM_IN_PLACE_MAX = 16
# How many deque.index() calls a forward match scan makes before switching to one linear pass.
INDEX_SEARCHES_MAX = 64


def get_list(ctx, key):
    """The list at key, None if missing, WRONGTYPE otherwise."""
    return ctx.get_typed(key, deque)


def parse_side(raw: bytes) -> bool:
    """LEFT/RIGHT (any case) -> True for the head; anything else is a syntax error."""
    side = keyword(raw)
    if side == LEFT:
        return True
    if side == RIGHT:
        return False
    raise CommandError(errors.SYNTAX)


def pop_elements(value: deque, from_left: bool, count: int) -> list:
    """Pop up to count elements from one end, in pop order."""
    pop = value.popleft if from_left else value.pop
    return [pop() for _ in range(min(count, len(value)))]


def push_elements(ctx, key, value, elements, to_left: bool) -> deque:
    """Push onto the list `value` at key, creating the key when value is None."""
    if value is None:
        value = deque()
        ctx.set(key, value)
    if to_left:
        value.extendleft(elements)
    else:
        value.extend(elements)
    return value


def normalize_range(start: int, end: int, length: int):
    """LRANGE/LTRIM index rules: (start, end) inclusive and in bounds, or None when empty."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return None
    return start, min(end, length - 1)


def range_items(value: deque, start: int, end: int) -> list:
    """value[start..end] (inclusive, in bounds), walking from the nearer end of the deque."""
    length = len(value)
    tail_skip = length - 1 - end
    if tail_skip < start:
        items = list(islice(reversed(value), tail_skip, length - start))
        items.reverse()
        return items
    return list(islice(value, start, end + 1))


# -- pushes ---------------------------------------------------------------------------------------
def push_command(ctx, args, to_left: bool, only_existing: bool) -> int:
    key = args[0]
    value = get_list(ctx, key)
    if value is None and only_existing:
        return 0
    return len(push_elements(ctx, key, value, args[1:], to_left))


@command("lpush", -3, "write denyoom fast", keys=(1, 1, 1), group="list")
def lpush(ctx, args):
    """Prepend one or multiple elements to a list"""
    return push_command(ctx, args, to_left=True, only_existing=False)


@command("rpush", -3, "write denyoom fast", keys=(1, 1, 1), group="list")
def rpush(ctx, args):
    """Append one or multiple elements to a list"""
    return push_command(ctx, args, to_left=False, only_existing=False)


@command("lpushx", -3, "write denyoom fast", keys=(1, 1, 1), group="list")
def lpushx(ctx, args):
    """Prepend an element to a list, only if the list exists"""
    return push_command(ctx, args, to_left=True, only_existing=True)


@command("rpushx", -3, "write denyoom fast", keys=(1, 1, 1), group="list")
def rpushx(ctx, args):
    """Append an element to a list, only if the list exists"""
    return push_command(ctx, args, to_left=False, only_existing=True)


# -- pops -----------------------------------------------------------------------------------------
def pop_command(ctx, args, from_left: bool, name: str):
    """LPOP/RPOP key [count]: a bulk without count, an array (null array if missing) with it."""
    if len(args) > 2:
        raise CommandError(errors.wrong_arity(name))
    count = None
    if len(args) == 2:
        count = to_int(args[1])
        if count is None or count < 0:
            raise CommandError(errors.NOT_POSITIVE)
    key = args[0]
    value = get_list(ctx, key)
    if value is None:
        return None if count is None else NULL_ARRAY
    if count is None:
        popped = value.popleft() if from_left else value.pop()
    else:
        popped = pop_elements(value, from_left, count)
    ctx.delete_if_empty(key, value)
    return popped


@command("lpop", -2, "write fast", keys=(1, 1, 1), group="list")
def lpop(ctx, args):
    """Remove and get the first elements in a list"""
    return pop_command(ctx, args, from_left=True, name="lpop")


@command("rpop", -2, "write fast", keys=(1, 1, 1), group="list")
def rpop(ctx, args):
    """Remove and get the last elements in a list"""
    return pop_command(ctx, args, from_left=False, name="rpop")


# -- reads ----------------------------------------------------------------------------------------
@command("llen", 2, "readonly fast", keys=(1, 1, 1), group="list")
def llen(ctx, args):
    """Get the length of a list"""
    value = get_list(ctx, args[0])
    return 0 if value is None else len(value)


@command("lindex", 3, "readonly", keys=(1, 1, 1), group="list")
def lindex(ctx, args):
    """Get an element from a list by its index"""
    value = get_list(ctx, args[0])  # Redis looks the key up before parsing the index
    if value is None:
        return None
    index = parse_int(args[1])
    if not -len(value) <= index < len(value):
        return None
    return value[index]


@command("lrange", 4, "readonly", keys=(1, 1, 1), group="list")
def lrange(ctx, args):
    """Get a range of elements from a list"""
    start, end = parse_int(args[1]), parse_int(args[2])
    value = get_list(ctx, args[0])
    if value is None:
        return []
    bounds = normalize_range(start, end, len(value))
    if bounds is None:
        return []
    return range_items(value, *bounds)


# -- in-place edits -------------------------------------------------------------------------------
@command("linsert", 5, "write denyoom", keys=(1, 1, 1), group="list")
def linsert(ctx, args):
    """Insert an element before or after another element in a list"""
    key, where, pivot, element = args
    where = keyword(where)
    if where not in (BEFORE, AFTER):
        raise CommandError(errors.SYNTAX)
    value = get_list(ctx, key)
    if value is None:
        return 0
    try:
        position = value.index(pivot)
    except ValueError:
        return -1
    value.insert(position + 1 if where == AFTER else position, element)
    return len(value)


@command("lset", 4, "write denyoom", keys=(1, 1, 1), group="list")
def lset(ctx, args):
    """Set the value of an element in a list by its index"""
    value = get_list(ctx, args[0])  # Redis checks the key before parsing the index
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = parse_int(args[1])
    if not -len(value) <= index < len(value):
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    value[index] = args[2]
    return OK


@command("ltrim", 4, "write", keys=(1, 1, 1), group="list")
def ltrim(ctx, args):
    """Trim a list to the specified range"""
    start, end = parse_int(args[1]), parse_int(args[2])
    key = args[0]
    value = get_list(ctx, key)
    if value is None:
        return OK
    bounds = normalize_range(start, end, len(value))
    if bounds is None:
        ctx.delete(key)
        return OK
    start, end = bounds
    kept = end - start + 1
    removed = len(value) - kept
    if kept < removed:
        items = range_items(value, start, end)
        value.clear()
        value.extend(items)
    else:
        for _ in range(start):
            value.popleft()
        for _ in range(removed - start):
            value.pop()
    return OK


def match_positions(value: deque, element: bytes, from_tail: bool, limit=None, skip=0, maxlen=0):
    """Indexes of matches of element, scanning from the head or the tail.

    The first `skip` matches are passed over, at most `limit` are returned (None: all), and
    only the first `maxlen` elements scanned are compared (0: the whole list).
    """
    scanned = min(maxlen or len(value), len(value))
    if from_tail:
        last = len(value) - 1
        candidates = enumerate(islice(reversed(value), scanned))
        pairs = ((last - offset, item) for offset, item in candidates)
        return take_matches(pairs, element, skip, limit, [])
    positions = []
    start = 0
    # deque.index() compares in C but walks from the head on every call: good for a few
    # sparse matches; dense ones finish in a single linear pass below.
    for _ in range(INDEX_SEARCHES_MAX):
        if len(positions) == limit:
            return positions
        try:
            start = value.index(element, start, scanned)
        except ValueError:
            return positions
        if skip:
            skip -= 1
        else:
            positions.append(start)
        start += 1
    pairs = enumerate(islice(value, start, scanned), start)
    return take_matches(pairs, element, skip, limit, positions)


def take_matches(pairs, element: bytes, skip: int, limit, positions: list) -> list:
    """Append the index of each (index, item) pair matching element, after `skip` matches."""
    if len(positions) == limit:
        return positions
    for index, item in pairs:
        if item != element:
            continue
        if skip:
            skip -= 1
            continue
        positions.append(index)
        if len(positions) == limit:
            break
    return positions


def remove_positions(value: deque, positions: list) -> None:
    """Delete the elements at `positions` (distinct indexes, any order)."""
    if len(positions) <= LREM_IN_PLACE_MAX:
        for position in sorted(positions, reverse=True):
            del value[position]  # deque deletion rotates from the nearer end, in C
        return
    removed = dict.fromkeys(positions)
    kept = [item for index, item in enumerate(value) if index not in removed]
    value.clear()
    value.extend(kept)


@command("lrem", 4, "write", keys=(1, 1, 1), group="list")
def lrem(ctx, args):
    """Remove elements from a list"""
    key, element = args[0], args[2]
    count = parse_int(args[1])
    value = get_list(ctx, key)
    if value is None:
        return 0
    # abs(INT64_MIN) is fine in Python; count 0 removes every match.
    positions = match_positions(value, element, from_tail=count < 0, limit=abs(count) or None)
    remove_positions(value, positions)
    ctx.delete_if_empty(key, value)
    return len(positions)


# -- LPOS -----------------------------------------------------------------------------------------
def parse_lpos_options(options):
    """RANK/COUNT/MAXLEN in any order (the last one given wins): (rank, count or None, maxlen)."""
    rank, count, maxlen = 1, None, 0
    index = 0
    while index < len(options):
        option = keyword(options[index])
        if index + 1 >= len(options):
            raise CommandError(errors.SYNTAX)
        raw = options[index + 1]
        if option == b"RANK":
            rank = parse_int(raw)
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif option == b"COUNT":
            count = parse_non_negative(raw, errors.LPOS_COUNT_NEGATIVE)
        elif option == b"MAXLEN":
            maxlen = parse_non_negative(raw, errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        index += 2
    return rank, count, maxlen


def parse_non_negative(raw: bytes, message: str) -> int:
    """Redis getPositiveLong...: a non-integer gets the same custom message as a negative."""
    number = to_int(raw)
    if number is None or number < 0:
        raise CommandError(message)
    return number


@command("lpos", -3, "readonly", keys=(1, 1, 1), group="list")
def lpos(ctx, args):
    """Return the index of matching elements on a list"""
    key, element = args[0], args[1]
    rank, count, maxlen = parse_lpos_options(args[2:])
    if rank == INT64_MIN:
        # Redis 7.0 negates RANK in a C long: -LONG_MIN stays negative, so every match from
        # the tail qualifies and the COUNT limit is never reached. Reproduced as observed.
        rank, count = -1, None if count is None else 0
    value = get_list(ctx, key)
    if value is None:
        return None if count is None else []
    limit = 1 if count is None else count or None
    positions = match_positions(
        value, element, from_tail=rank < 0, limit=limit, skip=abs(rank) - 1, maxlen=maxlen
    )
    if count is None:
        return positions[0] if positions else None
    return positions


# -- moves ----------------------------------------------------------------------------------------
def move_element(ctx, source_key, destination_key, from_left: bool, to_left: bool):
    """Pop from one list and push onto another (possibly the same); both types checked first."""
    source = get_list(ctx, source_key)
    if source is None:
        return None
    destination = get_list(ctx, destination_key)
    element = source.popleft() if from_left else source.pop()
    push_elements(ctx, destination_key, destination, (element,), to_left)
    ctx.delete_if_empty(source_key, source)  # same key as destination: it just grew back
    return element


@command("lmove", 5, "write denyoom", keys=(1, 2, 1), group="list")
def lmove(ctx, args):
    """Pop an element from a list, push it to another list and return it"""
    from_left, to_left = parse_side(args[2]), parse_side(args[3])
    return move_element(ctx, args[0], args[1], from_left, to_left)


@command("rpoplpush", 3, "write denyoom", keys=(1, 2, 1), group="list")
def rpoplpush(ctx, args):
    """Remove the last element in a list, prepend it to another list and return it"""
    return move_element(ctx, args[0], args[1], from_left=False, to_left=True)


# -- LMPOP ----------------------------------------------------------------------------------------
@command("lmpop", -4, "write", keys_fn=numkeys_at(1), group="list")
def lmpop(ctx, args):
    """Pop elements from a list"""
    numkeys = to_int(args[0])
    if numkeys is None or numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    side_index = 1 + numkeys
    if side_index >= len(args):
        raise CommandError(errors.SYNTAX)
    from_left = parse_side(args[side_index])
    count = parse_mpop_count(args[side_index + 1:])
    for key in args[1:side_index]:
        value = get_list(ctx, key)
        if value is not None:
            popped = pop_elements(value, from_left, count)
            ctx.delete_if_empty(key, value)
            return [key, popped]
    return NULL_ARRAY
