"""JSON commands with RedisJSON 2.x semantics (JSON.SET, JSON.GET, JSON.ARRAPPEND, ...).

Every command takes a path (see jsonpath.py). With a `$` path the reply has one element per
match, nil where the match does not apply (JSON.STRLEN on a number); with a legacy path the
reply is a single value and a missing or mistyped path is an error. Commands that change the
document validate every match before the first change, so an error leaves the key untouched.
"""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK
from spinelraft.statemachine.args import INT64_MAX, to_int
from spinelraft.statemachine.json_document import (
    MISSING,
    JsonValue,
    check_nesting,
    clone,
    dumps,
    dumps_formatted,
    is_number,
    merge_patch,
    number_operation,
    parse_json,
    resolve,
    resp_value,
    strict_equal,
    type_name,
)
from spinelraft.statemachine.jsonpath import Child, JsonPathError, compile_path, select

GROUP = "module"
CATEGORIES = ("@json",)
ROOT = b"."
NX = b"NX"
XX = b"XX"
GET_OPTIONS = (b"INDENT", b"NEWLINE", b"SPACE")
GET_OPTION_MAX_LENGTH = 8  # longer JSON.GET arguments are paths without looking further


# -- shared helpers -------------------------------------------------------------------------------
def text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(errors.JSON_NOT_UTF8)


def parse_path(raw: bytes):
    return compile_text(text(raw))


def compile_text(path: str):
    try:
        return compile_path(path)
    except JsonPathError as error:
        raise CommandError(errors.JSON_PATH_SYNTAX % error)


def parse_integer(raw: bytes) -> int:
    number = to_int(raw)
    if number is None:
        raise CommandError(errors.JSON_NOT_INTEGER)
    return number


def get_json(ctx, key: bytes):
    """The JSON value at key, None if missing, WRONGTYPE for another type."""
    return ctx.get_typed(key, JsonValue)


def require_json(ctx, key: bytes) -> JsonValue:
    value = get_json(ctx, key)
    if value is None:
        raise CommandError(errors.JSON_NO_SUCH_KEY)
    return value


def check_max_args(args, most: int, name: str):
    if len(args) > most:
        raise CommandError(errors.wrong_arity(name))


def wrong_path_type(expected: str, value) -> CommandError:
    return CommandError(errors.JSON_WRONG_PATH_TYPE % (expected, type_name(value)))


def first_match(query, document):
    """The first value a legacy path selects; an error when it selects nothing."""
    found = query.values(document)
    if not found:
        raise CommandError(errors.JSON_PATH_MISSING % query.text)
    return found[0]


def legacy_reply(query, results: list, reason: str):
    """A legacy path answers for its last applicable match, and fails when none applies."""
    applicable = [result for result in results if result is not None]
    if not applicable:
        raise CommandError(errors.JSON_PATH_MISSING_OR % (query.text, reason))
    return applicable[-1]


def update_leaves(holder: JsonValue, query, applies, compute) -> list:
    """Replace every applicable match with compute(current) -> (new value, reply).

    Matches are worked through in order on an overlay (a union may select one place twice),
    and written only when all have been computed: an error changes nothing.
    """
    document = holder.document
    overlay = {}
    replies = []
    for location, _ in query.find(document):
        current = overlay[location] if location in overlay else resolve(document, location)
        if not applies(current):
            replies.append(None)
            continue
        overlay[location], reply = compute(current)
        replies.append(reply)
    for location, new in overlay.items():
        holder.replace(location, new)
    return replies


def finish_update(query, replies: list, reason: str, legacy_form=None):
    """The reply of a per-match update: a list for `$` paths, the last result for legacy ones."""
    if not query.legacy:
        return replies
    reply = legacy_reply(query, replies, reason)
    return legacy_form(reply) if legacy_form else reply


def arrays_in(query, document, reason: str) -> list:
    """(location, array or None) per match; a legacy path must select at least one array."""
    found = [(location, value if type(value) is list else None)
             for location, value in query.find(document)]
    if query.legacy and all(array is None for _, array in found):
        raise CommandError(errors.JSON_PATH_MISSING_OR % (query.text, reason))
    return found


# -- JSON.SET / JSON.MSET / JSON.MERGE ------------------------------------------------------------
def plan_set(document, query, condition) -> list:
    """Where a set lands: ("replace", location) for existing matches, or ("add", parent
    location, member) to create a member through a static path whose parent exists."""
    if condition != NX:
        found = query.find(document)
        if condition == XX or found:
            return [("replace", location, None) for location, _ in found]
    if not query.is_static:
        raise CommandError(errors.JSON_WRONG_STATIC_PATH)
    last = query.segments[-1]
    if isinstance(last, Child):
        parents = select(query.segments[:-1], document, document)
        return [("add", location, last.names[0]) for location, _ in parents]
    if not query.find(document):  # an index that is not there cannot be created
        raise CommandError(errors.JSON_ARRAY_INDEX_OUT_OF_RANGE)
    return []  # NX on an index that exists


def check_plan(plan: list, new_value):
    """The nesting limit holds wherever the value would land (before anything changes)."""
    for action, location, _ in plan:
        check_nesting(len(location) + (action == "add"), new_value)


def check_array_items(found: list, items: list):
    for location, array in found:
        if array is not None:
            for item in items:
                check_nesting(len(location) + 1, item)


def apply_set(holder: JsonValue, plan: list, new_value) -> bool:
    updated = False
    for action, location, member in plan:
        fresh = new_value if len(plan) == 1 else clone(new_value)  # never share a container
        if action == "replace":
            if holder.resolve(location) is MISSING:
                continue
            holder.replace(location, fresh)
        else:
            parent = holder.resolve(location)
            if type(parent) is not dict or member in parent:
                continue
            parent[member] = fresh
        updated = True
    return updated


def parse_set_condition(options):
    condition = None
    for option in options:
        word = option.upper()
        if word not in (NX, XX) or condition is not None:
            raise CommandError(errors.SYNTAX)
        condition = word
    return condition


def store_root(ctx, key: bytes, holder, document):
    """Replace a whole document in place (keeping the TTL), or create the key."""
    if holder is None:
        ctx.set(key, JsonValue(document))
    else:
        holder.document = document


@command("json.set", -4, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_set(ctx, args):
    """Sets or updates the JSON value at a path"""
    key = args[0]
    condition = parse_set_condition(args[3:])
    holder = get_json(ctx, key)
    new_value = parse_json(args[2])
    query = parse_path(args[1])
    if holder is None:
        if condition == XX:
            return None
        if not query.is_root:
            raise CommandError(errors.JSON_NEW_AT_ROOT)
        store_root(ctx, key, None, new_value)
        return OK
    if query.is_root:
        if condition == NX:
            return None
        store_root(ctx, key, holder, new_value)
        return OK
    plan = plan_set(holder.document, query, condition)
    check_plan(plan, new_value)
    return OK if apply_set(holder, plan, new_value) else None


def mset_keys(argv) -> list:
    return list(range(1, len(argv), 3))


@command("json.mset", -4, "write denyoom", keys_fn=mset_keys, group=GROUP, categories=CATEGORIES)
def json_mset(ctx, args):
    """Sets or updates the JSON value of one or more keys"""
    if len(args) % 3:
        raise CommandError(errors.wrong_arity("json.mset"))
    actions = []
    for position in range(0, len(args), 3):  # everything is checked before the first change
        key = args[position]
        holder = get_json(ctx, key)
        query = parse_path(args[position + 1])
        plan = None
        if not query.is_root:
            if holder is None:
                raise CommandError(errors.JSON_NEW_AT_ROOT)
            plan = plan_set(holder.document, query, None)
        new_value = parse_json(args[position + 2])
        check_plan(plan or [], new_value)
        actions.append((key, query, plan, new_value))
    seen = {}
    for key, query, plan, new_value in actions:
        holder = get_json(ctx, key)
        if plan is None:
            store_root(ctx, key, holder, new_value)
        else:
            if key in seen:  # an earlier triple changed this document: plan again
                plan = replan(holder, query, new_value)
            apply_set(holder, plan, new_value)
        seen[key] = True
    return OK


def replan(holder, query, new_value) -> list:
    try:
        plan = plan_set(holder.document, query, None)
        check_plan(plan, new_value)
        return plan
    except CommandError:
        return []


def merge_at(holder: JsonValue, location, patch) -> bool:
    """Merge `patch` into the value at an existing location; a null patch removes a member."""
    current = holder.resolve(location)
    if current is MISSING:
        return False
    if patch is None and location and type(holder.resolve(location[:-1])) is dict:
        del holder.resolve(location[:-1])[location[-1]]
        return True
    holder.replace(location, merge_patch(current, clone(patch)))
    return True


def merge_into_member(holder: JsonValue, location, member: str, patch) -> bool:
    parent = holder.resolve(location)
    if type(parent) is not dict or member in parent or patch is None:
        return False
    parent[member] = merge_patch(MISSING, clone(patch))
    return True


@command("json.merge", 4, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_merge(ctx, args):
    """Merges a JSON value into the value at a path (RFC 7396 merge patch)"""
    key = args[0]
    holder = get_json(ctx, key)
    patch = parse_json(args[2])
    query = parse_path(args[1])
    if holder is None:
        if not query.is_root:
            raise CommandError(errors.JSON_NEW_AT_ROOT)
        store_root(ctx, key, None, patch)  # nothing to merge with: the value is stored as given
        return OK
    if query.is_root:
        holder.document = merge_patch(holder.document, patch)
        return OK
    plan = plan_set(holder.document, query, None)
    check_plan(plan, patch)
    updated = False
    for action, location, member in plan:
        if action == "replace":
            updated = merge_at(holder, location, patch) or updated
        else:
            updated = merge_into_member(holder, location, member, patch) or updated
    return OK if updated else None


# -- JSON.GET / JSON.MGET / JSON.TYPE / JSON.RESP -------------------------------------------------
def parse_get_arguments(args):
    """(path arguments, layout or None) from JSON.GET's arguments after the key."""
    paths = []
    layout = {}
    position = 0
    while position < len(args):
        argument = args[position]
        word = argument.upper() if len(argument) <= GET_OPTION_MAX_LENGTH else b""
        if word in GET_OPTIONS:
            if position + 1 >= len(args):
                raise CommandError(errors.wrong_arity("json.get"))
            layout[word] = args[position + 1]
            position += 2
            continue
        if word != b"NOESCAPE":  # accepted and ignored, as RedisJSON does for ReJSON 1.0
            paths.append(text(argument))
        position += 1
    if not layout:
        return paths or ["."], None
    return paths or ["."], tuple(layout.get(option, b"") for option in GET_OPTIONS)


def serialize(value, layout) -> bytes:
    return dumps(value) if layout is None else dumps_formatted(value, *layout)


def get_many(document, paths: list, legacy: bool) -> dict:
    """JSON.GET with several paths: an object from each path to its value (legacy) or matches.
    A path that does not parse is left out, as RedisJSON does."""
    result = {}
    missing = None
    for path in paths:
        try:
            query = compile_path(path)
        except JsonPathError:
            continue
        found = query.values(document)
        if legacy and not found:
            missing = path
            continue
        result[path] = found[0] if legacy else found
    if missing is not None:
        raise CommandError(errors.JSON_PATH_MISSING % missing)
    return result


@command("json.get", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_get(ctx, args):
    """Gets the value at one or more paths in JSON serialized form"""
    paths, layout = parse_get_arguments(args[1:])
    holder = get_json(ctx, args[0])
    if holder is None:
        return None
    legacy = all(not path.startswith("$") for path in paths)
    if len(paths) > 1:
        return serialize(get_many(holder.document, paths, legacy), layout)
    query = compile_text(paths[0])
    if legacy:
        return serialize(first_match(query, holder.document), layout)
    return serialize(query.values(holder.document), layout)


@command("json.mget", -3, "readonly", keys=(1, -2, 1), group=GROUP, categories=CATEGORIES)
def json_mget(ctx, args):
    """Returns the values at a path from one or more keys"""
    try:
        query = compile_path(text(args[-1]))
    except JsonPathError:
        query = None  # RedisJSON answers nil for every key
    replies = []
    for key in args[:-1]:
        holder = ctx.get(key)
        if query is None or type(holder) is not JsonValue:  # missing or another type: nil
            replies.append(None)
            continue
        found = query.values(holder.document)
        if query.legacy:
            replies.append(dumps(found[0]) if found else None)
        else:
            replies.append(dumps(found))
    return replies


@command("json.type", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_type(ctx, args):
    """Returns the type of the JSON value at a path"""
    check_max_args(args, 2, "json.type")
    holder = get_json(ctx, args[0])
    if holder is None:
        return None
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    found = query.values(holder.document)
    if query.legacy:
        return type_name(found[0]).encode() if found else None
    return [type_name(value).encode() for value in found]


@command("json.resp", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_resp(ctx, args):
    """Returns the JSON value at a path in Redis Serialization Protocol (RESP) form"""
    check_max_args(args, 2, "json.resp")
    holder = get_json(ctx, args[0])
    if holder is None:
        return None
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    if query.legacy:
        return resp_value(first_match(query, holder.document))
    return [resp_value(value) for value in query.values(holder.document)]


# -- JSON.DEL / JSON.FORGET / JSON.CLEAR ----------------------------------------------------------
def removal_order(locations: list) -> list:
    """Distinct locations without those inside another one, deepest and last first, so that
    removing them one by one never shifts an array index still to be used."""
    kept = []
    for location in sorted(dict.fromkeys(locations)):
        if kept and location[:len(kept[-1])] == kept[-1]:
            continue  # inside a location already being removed
        kept.append(location)
    kept.reverse()
    return kept


@command("json.del", -2, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_del(ctx, args):
    """Deletes a value"""
    check_max_args(args, 2, "json.del")
    key = args[0]
    holder = get_json(ctx, key)
    if holder is None:
        return 0
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    if query.is_root:
        ctx.delete(key)
        return 1
    locations = removal_order([location for location, _ in query.find(holder.document)])
    for location in locations:
        del holder.resolve(location[:-1])[location[-1]]
    return len(locations)


command("json.forget", -2, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)(json_del)


def clearable(value) -> bool:
    kind = type(value)
    if kind is dict or kind is list:
        return len(value) > 0
    return is_number(value) and value != 0


@command("json.clear", -2, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_clear(ctx, args):
    """Clears all values from an array or an object and sets numeric values to 0"""
    check_max_args(args, 2, "json.clear")
    holder = require_json(ctx, args[0])
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    cleared = 0
    for location, _ in query.find(holder.document):
        current = holder.resolve(location)  # gone when an enclosing match was cleared first
        if current is MISSING or not clearable(current):
            continue
        if type(current) is dict or type(current) is list:
            current.clear()
        else:
            holder.replace(location, 0)
        cleared += 1
    return cleared


# -- numbers, strings, booleans -------------------------------------------------------------------
def parse_operand(raw: bytes):
    operand = parse_json(raw)
    if not is_number(operand):
        raise CommandError(errors.JSON_BAD_NUMBER)
    return operand


def number_command(ctx, args, multiply: bool):
    holder = require_json(ctx, args[0])
    query = parse_path(args[1])
    operand = parse_operand(args[2])

    def compute(current):
        result = number_operation(current, operand, multiply)
        return result, result

    replies = update_leaves(holder, query, is_number, compute)
    if query.legacy:
        return dumps(legacy_reply(query, replies, "does not contains a number"))
    return dumps(replies)


@command("json.numincrby", 4, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_numincrby(ctx, args):
    """Increments the numeric value at a path by a value"""
    return number_command(ctx, args, multiply=False)


@command("json.nummultby", 4, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_nummultby(ctx, args):
    """Multiplies the numeric value at a path by a value"""
    return number_command(ctx, args, multiply=True)


def string_suffix(raw: bytes) -> str:
    suffix = parse_json(raw)
    if type(suffix) is not str:
        raise CommandError(errors.JSON_WRONG_PATH_TYPE % ("string", raw.decode("utf-8", "replace")))
    return suffix


def is_string(value) -> bool:
    return type(value) is str


@command("json.strappend", -3, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_strappend(ctx, args):
    """Appends a string to the JSON strings at a path"""
    check_max_args(args, 3, "json.strappend")
    path, raw = (args[1], args[2]) if len(args) == 3 else (ROOT, args[1])
    holder = require_json(ctx, args[0])
    query = parse_path(path)
    suffix = []  # parsed at the first string match, so a path without strings never reads it

    def compute(current):
        if not suffix:
            suffix.append(string_suffix(raw))
        appended = current + suffix[0]
        return appended, len(appended.encode("utf-8"))

    replies = update_leaves(holder, query, is_string, compute)
    return finish_update(query, replies, "not a string")


def is_boolean(value) -> bool:
    return type(value) is bool


@command("json.toggle", 3, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_toggle(ctx, args):
    """Toggles a boolean value"""
    holder = require_json(ctx, args[0])
    query = parse_path(args[1])
    replies = update_leaves(holder, query, is_boolean,
                            lambda current: (not current, int(not current)))
    return finish_update(query, replies, "not a bool",
                         lambda reply: b"true" if reply else b"false")


def length_command(ctx, args, name: str, kind, measure):
    """JSON.STRLEN / JSON.ARRLEN / JSON.OBJLEN: the size of each match of the right type."""
    check_max_args(args, 2, name)
    holder = get_json(ctx, args[0])
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    expected = {str: "string", list: "array", dict: "object"}[kind]
    if holder is None:
        if query.legacy:
            return None
        raise CommandError(errors.JSON_NO_SUCH_KEY)
    if query.legacy:
        value = first_match(query, holder.document)
        if type(value) is not kind:
            raise wrong_path_type(expected, value)
        return measure(value)
    return [measure(value) if type(value) is kind else None
            for value in query.values(holder.document)]


@command("json.strlen", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_strlen(ctx, args):
    """Returns the length of the JSON String at a path"""
    return length_command(ctx, args, "json.strlen", str, lambda value: len(value.encode("utf-8")))


@command("json.arrlen", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrlen(ctx, args):
    """Returns the length of the array at a path"""
    return length_command(ctx, args, "json.arrlen", list, len)


# -- objects --------------------------------------------------------------------------------------
@command("json.objlen", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_objlen(ctx, args):
    """Returns the number of keys of the object at a path"""
    check_max_args(args, 2, "json.objlen")
    holder = get_json(ctx, args[0])
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    if holder is None:
        if query.legacy:
            return None
        raise CommandError(errors.JSON_PATH_MISSING % query.text)
    if query.legacy:
        found = query.values(holder.document)
        if not found:
            return None
        if type(found[0]) is not dict:
            raise wrong_path_type("object", found[0])
        return len(found[0])
    return [len(value) if type(value) is dict else None
            for value in query.values(holder.document)]


@command("json.objkeys", -2, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_objkeys(ctx, args):
    """Returns the JSON keys of the object at a path"""
    check_max_args(args, 2, "json.objkeys")
    holder = get_json(ctx, args[0])
    if holder is None:
        return None
    query = parse_path(args[1] if len(args) > 1 else ROOT)
    found = query.values(holder.document)
    if query.legacy:
        if not found:
            return None
        if type(found[0]) is not dict:
            raise wrong_path_type("object", found[0])
        return [member.encode() for member in found[0]]
    return [[member.encode() for member in value] if type(value) is dict else None
            for value in found]


# -- arrays ---------------------------------------------------------------------------------------
@command("json.arrappend", -4, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrappend(ctx, args):
    """Appends one or more JSON values to the arrays at a path"""
    items = [parse_json(raw) for raw in args[2:]]
    holder = require_json(ctx, args[0])
    query = parse_path(args[1])
    found = arrays_in(query, holder.document, "not an array")
    check_array_items(found, items)
    replies = []
    for _, array in found:
        if array is None:
            replies.append(None)
            continue
        array.extend(clone(item) for item in items)
        replies.append(len(array))
    return finish_update(query, replies, "not an array")


def insert_position(index: int, length: int) -> int:
    position = index + length if index < 0 else index
    if not 0 <= position <= length:
        raise CommandError(errors.JSON_INDEX_OUT_OF_BOUNDS)
    return position


@command("json.arrinsert", -5, "write denyoom", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrinsert(ctx, args):
    """Inserts JSON values into the arrays at a path before an index"""
    index = parse_integer(args[2])
    items = [parse_json(raw) for raw in args[3:]]
    holder = require_json(ctx, args[0])
    query = parse_path(args[1])
    found = arrays_in(query, holder.document, "not an array")
    check_array_items(found, items)
    lengths = {}  # check every insertion first (a union may select one array twice)
    for location, array in found:
        if array is not None:
            length = lengths.get(location, len(array))
            insert_position(index, length)
            lengths[location] = length + len(items)
    replies = []
    for _, array in found:
        if array is None:
            replies.append(None)
            continue
        position = insert_position(index, len(array))
        array[position:position] = [clone(item) for item in items]
        replies.append(len(array))
    return finish_update(query, replies, "not an array")


def first_index(array: list, wanted, start: int, stop: int) -> int:
    """JSON.ARRINDEX on one array: stop is exclusive, 0 means the end; out of range clamps."""
    length = len(array)
    if stop == 0 or stop > length:
        stop = length
    elif stop < 0:
        stop = max(0, length + stop)
    if start < 0:
        start = max(0, length + start)
    for position in range(start, stop):
        if strict_equal(array[position], wanted):
            return position
    return -1


@command("json.arrindex", -4, "readonly", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrindex(ctx, args):
    """Returns the index of the first occurrence of a JSON scalar value in the array at a path"""
    check_max_args(args, 5, "json.arrindex")
    start = parse_integer(args[3]) if len(args) > 3 else 0
    stop = parse_integer(args[4]) if len(args) > 4 else 0
    holder = get_json(ctx, args[0])
    query = parse_path(args[1])
    wanted = parse_json(args[2])
    if not query.legacy and type(wanted) in (list, dict):
        raise CommandError(errors.JSON_WRONG_PATH_TYPE % ("scalar", text(args[2])))
    if holder is None:
        raise CommandError(errors.JSON_PATH_MISSING % text(args[1]))
    if query.legacy:
        array = first_match(query, holder.document)
        if type(array) is not list:
            raise wrong_path_type("array", array)
        return first_index(array, wanted, start, stop)
    return [first_index(value, wanted, start, stop) if type(value) is list else None
            for value in query.values(holder.document)]


def pop_position(index: int, length: int) -> int:
    return max(0, length + index) if index < 0 else min(index, length - 1)


def parse_pop_arguments(args):
    """(path, index) of JSON.ARRPOP: no path pops the last element of the root array; an index
    that does not parse also means the last element, as RedisJSON reads it."""
    if len(args) == 1:
        return ROOT, INT64_MAX
    index = to_int(args[2]) if len(args) == 3 else None
    return args[1], -1 if index is None else index


@command("json.arrpop", -2, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrpop(ctx, args):
    """Removes and returns the element at an index (the last by default) of the arrays at a path"""
    check_max_args(args, 3, "json.arrpop")
    path, index = parse_pop_arguments(args)
    holder = require_json(ctx, args[0])
    query = parse_path(path)
    replies = []
    popped_from_arrays = []  # a legacy path answers for the last array it selects
    for _, array in arrays_in(query, holder.document, "not an array"):
        reply = None
        if array:  # None for a non-array, nothing to pop from an empty one
            reply = dumps(array.pop(pop_position(index, len(array))))
        replies.append(reply)
        if array is not None:
            popped_from_arrays.append(reply)
    return popped_from_arrays[-1] if query.legacy else replies


def trim(array: list, start: int, stop: int) -> int:
    """JSON.ARRTRIM on one array: keep [start, stop] (inclusive), RedisJSON's clamping."""
    length = len(array)
    stop = stop if stop >= 0 else max(0, length + stop)
    if start < 0:
        start = max(0, length + start)
    elif start >= length:
        start = stop + 1  # past the end: nothing is kept
    if start > stop or length == 0:
        array.clear()
    else:
        del array[stop + 1:]
        del array[:start]
    return len(array)


@command("json.arrtrim", 5, "write", keys=(1, 1, 1), group=GROUP, categories=CATEGORIES)
def json_arrtrim(ctx, args):
    """Trims the arrays at a path to contain only the specified inclusive range of indices"""
    start = parse_integer(args[2])
    stop = parse_integer(args[3])
    holder = require_json(ctx, args[0])
    query = parse_path(args[1])
    replies = [None if array is None else trim(array, start, stop)
               for _, array in arrays_in(query, holder.document, "not an array")]
    return finish_update(query, replies, "not an array")
