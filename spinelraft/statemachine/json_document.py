"""The JSON value type (RedisJSON's ReJSON-RL) and the document helpers its commands share.

A document is plain Python: dict (insertion ordered, as RedisJSON keeps object members), list,
str, int, float, bool and None. Integers stay integers and floats stay floats. Parsing and
serialising go through orjson, which, like RedisJSON, refuses NaN and Infinity; numbers beyond
64 bits parse as floats, as serde_json (RedisJSON's parser) does. No two places of a document
share a container: every value stored is a fresh copy, so in-place changes stay local.
"""
import re

import orjson

from spinelraft import errors
from spinelraft.errors import CommandError
from spinelraft.replies import Double, Simple
from spinelraft.statemachine.snapshot import register_codec
from spinelraft.statemachine.values import register_type

MISSING = object()  # what resolve() returns for a location that is not in the document
NESTING_LIMIT = 128  # serde_json's recursion limit: 128 nested containers are refused
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class JsonValue:
    """The value stored under a key by JSON.SET."""

    __slots__ = ("document",)
    ENCODING = b"raw"  # what Redis reports for module values

    def __init__(self, document):
        self.document = document

    def copy(self):
        return JsonValue(clone(self.document))

    def resolve(self, location):
        return resolve(self.document, location)

    def replace(self, location, new):
        """Put `new` at an existing location (the root when location is empty)."""
        if not location:
            self.document = new
            return
        resolve(self.document, location[:-1])[location[-1]] = new


register_type(JsonValue, b"ReJSON-RL")
register_codec(JsonValue, "json", lambda value: dumps(value.document),
               lambda payload: JsonValue(orjson.loads(payload)))


def resolve(document, location):
    """The value at location (a tuple of member names and array indexes), or MISSING."""
    node = document
    for step in location:
        if type(step) is str:
            if type(node) is not dict or step not in node:
                return MISSING
        elif type(node) is not list or not 0 <= step < len(node):
            return MISSING
        node = node[step]
    return node


# -- parsing and serialising ----------------------------------------------------------------------
def parse_json(raw: bytes):
    """A document from a command argument; errors name the line and column like serde_json."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CommandError(errors.JSON_PARSE % (error.msg, error.lineno, error.colno))
    check_nesting(0, value)
    return value


def nesting(value) -> int:
    """How many containers are nested in value (0 for a scalar, 1 for [], 2 for [[]])."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is not dict and kind is not list:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in (node.values() if kind is dict else node))
    return deepest


def check_nesting(depth: int, value):
    """Refuse to place `value` below `depth` containers when the document would then nest
    NESTING_LIMIT containers. Parsed values obey the limit as serde_json enforces it; whole
    documents obey it too here (RedisJSON has no such total limit), which keeps every document
    within what orjson serialises (254 levels) and what Python recursion handles."""
    if (type(value) is dict or type(value) is list) and depth + nesting(value) >= NESTING_LIMIT:
        raise CommandError(errors.JSON_NESTING_LIMIT)


# orjson writes exponents as 1e+16; serde_json (RedisJSON) writes 1e16. Strings are skipped.
_EXPONENT_OR_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"|e\+')


def _drop_plus(found) -> bytes:
    text = found.group()
    return text if text[:1] == b'"' else b"e"


def dumps(value) -> bytes:
    """Compact JSON text, byte-identical to RedisJSON's output."""
    text = orjson.dumps(value)
    if b"e+" in text:
        text = _EXPONENT_OR_STRING.sub(_drop_plus, text)
    return text


def dumps_formatted(value, indent: bytes, newline: bytes, space: bytes) -> bytes:
    """JSON.GET's INDENT / NEWLINE / SPACE layout (serde's pretty printer with those strings)."""
    parts = []
    _write_formatted(value, 0, parts, (indent, newline, space))
    return b"".join(parts)


def _write_formatted(value, level: int, parts: list, layout):
    indent, newline, space = layout
    kind = type(value)
    if (kind is not dict and kind is not list) or not value:
        parts.append(dumps(value))
        return
    parts.append(b"{" if kind is dict else b"[")
    inner = newline + indent * (level + 1)
    for position, item in enumerate(value.items() if kind is dict else value):
        if position:
            parts.append(b",")
        parts.append(inner)
        if kind is dict:
            parts.append(dumps(item[0]))
            parts.append(b":" + space)
            item = item[1]
        _write_formatted(item, level + 1, parts, layout)
    parts.append(newline + indent * level)
    parts.append(b"}" if kind is dict else b"]")


def clone(value):
    """A deep copy (scalars are immutable and returned as they are)."""
    kind = type(value)
    if kind is dict or kind is list:
        return orjson.loads(orjson.dumps(value))
    return value


# -- value rules ----------------------------------------------------------------------------------
def type_name(value) -> str:
    """RedisJSON's names, as JSON.TYPE and the WRONGTYPE errors print them."""
    kind = type(value)
    if kind is int:
        return "integer"
    return {float: "number", bool: "boolean", str: "string", type(None): "null", list: "array",
            dict: "object"}[kind]


def is_number(value) -> bool:
    kind = type(value)
    return kind is int or kind is float


def strict_equal(left, right) -> bool:
    """JSON.ARRINDEX equality: same JSON type (an integer never equals a float), deep."""
    kind = type(left)
    if kind is not type(right):
        return False
    if kind is list:
        return len(left) == len(right) and all(map(strict_equal, left, right))
    if kind is dict:
        return len(left) == len(right) and all(
            key in right and strict_equal(value, right[key]) for key, value in left.items())
    return left == right


def merge_patch(target, patch):
    """RFC 7396: objects merge member by member, null removes a member, anything else replaces.
    `target` is changed in place when it is an object; the result is returned."""
    if type(patch) is not dict:
        return patch
    if type(target) is not dict:
        target = {}
    for key, change in patch.items():
        if change is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key, MISSING), change)
    return target


def number_operation(current, operand, multiply: bool):
    """NUMINCRBY / NUMMULTBY arithmetic: int op int stays an int (64-bit); otherwise a float.

    RedisJSON wraps around on 64-bit overflow; here the result becomes a float instead.
    """
    if type(current) is int and type(operand) is int and _int64(current) and _int64(operand):
        result = current * operand if multiply else current + operand
        if _int64(result):
            return result
    result = float(current) * float(operand) if multiply else float(current) + float(operand)
    if result != result or result in (float("inf"), float("-inf")):
        raise CommandError(errors.JSON_RESULT_NOT_NUMBER)
    return result


def _int64(number: int) -> bool:
    return INT64_MIN <= number <= INT64_MAX


def resp_value(value):
    """JSON.RESP: arrays start with "[", objects with "{" then key, value pairs."""
    kind = type(value)
    if value is None:
        return None
    if kind is bool:
        return Simple("true" if value else "false")
    if kind is int:
        return value if _int64(value) else Double(float(value))
    if kind is float:
        return Double(value)
    if kind is str:
        return value.encode()
    if kind is list:
        return [Simple("[")] + [resp_value(item) for item in value]
    reply = [Simple("{")]
    for key, item in value.items():
        reply.append(key.encode())
        reply.append(resp_value(item))
    return reply
