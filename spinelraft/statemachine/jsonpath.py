"""JSONPath for the JSON commands, with RedisJSON 2.x semantics.

A path starting with `$` is a JSONPath: `.name`, `['name']`, `..` (recursive descent), `*`,
indexes (negative count from the end), unions `[0,2]` / `['a','b']`, slices `[start:end:step]`
and filters `[?(@.price < 10 && @.name == "x")]` with == != < <= > >= =~ && || and parentheses.
Anything else is a legacy path (`.`, `.a.b`, `a[0]`), rewritten to JSONPath the way RedisJSON
does (`.` -> `$`, `.a` -> `$.a`, `a` -> `$.a`); the commands reply differently for the two forms.

Evaluation returns (location, value) pairs in RedisJSON's order; a location is the tuple of
object keys (str) and array indexes (int) leading from the document root to the value.
"""
import re
from functools import lru_cache

from spinelraft.statemachine.linear_regex import compile_regex


class JsonPathError(Exception):
    """The path does not parse; .position is the character offset of the problem."""

    def __init__(self, position: int, message: str):
        super().__init__("Error occurred on position %d, %s" % (position, message))
        self.position = position


class Query:
    __slots__ = ("text", "segments", "legacy")

    def __init__(self, text: str, segments: list, legacy: bool):
        self.text = text  # the JSONPath form ($-prefixed), as RedisJSON prints it in errors
        self.segments = segments
        self.legacy = legacy

    @property
    def is_root(self) -> bool:
        return self.text == "$"

    @property
    def is_static(self) -> bool:
        """True when the path names exactly one location (member names and single indexes)."""
        return all(segment.static for segment in self.segments)

    def find(self, document) -> list:
        """Every match as (location, value), in RedisJSON's order."""
        return select(self.segments, document, document)

    def values(self, document) -> list:
        return [value for _, value in select(self.segments, document, document)]


def select(segments, document, root) -> list:
    current = [((), document)]
    for segment in segments:
        found = []
        for location, value in current:
            segment.select(location, value, root, found)
        current = found
    return current


# -- segments -------------------------------------------------------------------------------------
class Child:
    """.name or ['name', ...]: members of an object."""

    __slots__ = ("names",)

    def __init__(self, names):
        self.names = names

    @property
    def static(self):
        return len(self.names) == 1

    def select(self, location, value, root, found):
        if type(value) is dict:
            for name in self.names:
                if name in value:
                    found.append((location + (name,), value[name]))


class Index:
    """[i] or [i, j, ...]: array elements, negative indexes count from the end."""

    __slots__ = ("indexes",)

    def __init__(self, indexes):
        self.indexes = indexes

    @property
    def static(self):
        return len(self.indexes) == 1

    def select(self, location, value, root, found):
        if type(value) is list:
            size = len(value)
            for index in self.indexes:
                if index < 0:
                    index += size
                if 0 <= index < size:
                    found.append((location + (index,), value[index]))


class Slice:
    """[start:end:step] over an array, clamped like a Python slice (step >= 1)."""

    __slots__ = ("start", "end", "step")
    static = False

    def __init__(self, start, end, step):
        self.start, self.end, self.step = start, end, step

    def select(self, location, value, root, found):
        if type(value) is list:
            for index in range(*slice(self.start, self.end, self.step).indices(len(value))):
                found.append((location + (index,), value[index]))


class Wildcard:
    """* : every member of an object or element of an array."""

    __slots__ = ()
    static = False

    def select(self, location, value, root, found):
        for key, child in children(value):
            found.append((location + (key,), child))


class Filter:
    """[?(expression)]: the elements (or object member values) the expression holds for."""

    __slots__ = ("expression",)
    static = False

    def __init__(self, expression):
        self.expression = expression

    def select(self, location, value, root, found):
        for key, child in children(value):
            if self.expression.holds(child, root):
                found.append((location + (key,), child))


class Descendant:
    """..segment: the segment applied to the value and every value below it, in pre-order."""

    __slots__ = ("segment",)
    static = False

    def __init__(self, segment):
        self.segment = segment

    def select(self, location, value, root, found):
        stack = [(location, value)]
        while stack:  # explicit stack: documents can be deeper than Python's recursion limit
            where, node = stack.pop()
            self.segment.select(where, node, root, found)
            below = [(where + (key,), child) for key, child in children(node)]
            stack.extend(reversed(below))


def children(value):
    kind = type(value)
    if kind is dict:
        return value.items()
    if kind is list:
        return enumerate(value)
    return ()


# -- filter expressions ---------------------------------------------------------------------------
INVALID = object()  # a term that selects nothing (or more than one value): not comparable


class Literal:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def evaluate(self, current, root):
        return self.value


class RelativePath:
    """@... (from the element being filtered) or $... (from the document root)."""

    __slots__ = ("segments", "from_root")

    def __init__(self, segments, from_root):
        self.segments = segments
        self.from_root = from_root

    def evaluate(self, current, root):
        start = root if self.from_root else current
        matches = select(self.segments, start, root)
        # RedisJSON compares a path term only when it selects exactly one value.
        return matches[0][1] if len(matches) == 1 else INVALID


class Exists:
    __slots__ = ("term",)

    def __init__(self, term):
        self.term = term

    def holds(self, current, root):
        return self.term.evaluate(current, root) is not INVALID


class Comparison:
    __slots__ = ("left", "operator", "right")

    def __init__(self, left, operator, right):
        self.left, self.operator, self.right = left, operator, right

    def holds(self, current, root):
        left = self.left.evaluate(current, root)
        right = self.right.evaluate(current, root)
        if self.operator == "=~":
            return regex_matches(left, right, isinstance(self.left, RelativePath))
        order = compare(left, right)
        if self.operator == "==":
            return order == 0
        if self.operator == "!=":
            return order != 0  # RedisJSON: "not equal" is true for values that do not compare
        if order is None:
            return False
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[self.operator]


class AnyOf:
    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts

    def holds(self, current, root):
        return any(part.holds(current, root) for part in self.parts)


class AllOf:
    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = parts

    def holds(self, current, root):
        return all(part.holds(current, root) for part in self.parts)


def json_kind(value) -> str:
    kind = type(value)
    if kind is int or kind is float:
        return "number"
    return {bool: "boolean", str: "string", type(None): "null", list: "array", dict: "object"}[kind]


def compare(left, right):
    """-1, 0 or 1, or None when the two values do not compare (RedisJSON's filter rules)."""
    if left is INVALID or right is INVALID:
        return None
    kind = json_kind(left)
    if kind != json_kind(right):
        return None
    if kind == "null":
        return 0
    if kind in ("array", "object"):
        return 0 if loose_equal(left, right) else None
    return (left > right) - (left < right)


def loose_equal(left, right) -> bool:
    """Deep equality where numbers compare by value (1 == 1.0), as document values do."""
    kind = json_kind(left)
    if kind != json_kind(right):
        return False
    if kind == "array":
        return len(left) == len(right) and all(map(loose_equal, left, right))
    if kind == "object":
        return len(left) == len(right) and all(
            key in right and loose_equal(value, right[key]) for key, value in left.items())
    return left == right


def regex_matches(subject, pattern, subject_from_document: bool) -> bool:
    """`@.name =~ "regex"`: an unanchored search; a bad pattern matches nothing."""
    if not subject_from_document or type(subject) is not str or type(pattern) is not str:
        return False
    compiled = cached_regex(pattern)
    return compiled is not None and compiled.search(subject)


@lru_cache(maxsize=256)
def cached_regex(pattern: str):
    return compile_regex(pattern)


# -- parser ---------------------------------------------------------------------------------------
NAME_STOP = ".[]()'\"=<>!&|,~ \t\r\n"
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
INTEGER = re.compile(r"-?\d+")
OPERATORS = ("==", "!=", "<=", ">=", "=~", "<", ">")


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def fail(self, message: str):
        raise JsonPathError(self.position, message)

    def peek(self, count: int = 1) -> str:
        return self.text[self.position:self.position + count]

    def skip_spaces(self):
        while self.peek() in (" ", "\t", "\r", "\n") and self.position < len(self.text):
            self.position += 1

    def at(self, token: str) -> bool:
        """Skip spaces; True when `token` comes next."""
        self.skip_spaces()
        return self.text.startswith(token, self.position)

    def expect(self, token: str):
        self.skip_spaces()
        if not self.text.startswith(token, self.position):
            self.fail("expected '%s'" % token)
        self.position += len(token)

    def parse_query(self) -> list:
        if self.peek() != "$":
            self.fail("expected '$'")
        self.position += 1
        segments = self.parse_segments()
        if self.position != len(self.text):
            self.fail("unexpected '%s'" % self.peek())
        return segments

    def parse_segments(self) -> list:
        segments = []
        while True:
            if self.peek(2) == "..":
                self.position += 2
                segments.append(Descendant(self.parse_after_dot()))
            elif self.peek() == ".":
                self.position += 1
                segments.append(self.parse_after_dot())
            elif self.peek() == "[":
                segments.append(self.parse_bracket())
            else:
                return segments

    def parse_after_dot(self):
        if self.peek() == "*":
            self.position += 1
            return Wildcard()
        if self.peek() == "[":
            return self.parse_bracket()
        start = self.position
        while self.position < len(self.text) and self.text[self.position] not in NAME_STOP:
            self.position += 1
        if self.position == start:
            self.fail("expected a member name, '*' or '['")
        return Child([self.text[start:self.position]])

    def parse_bracket(self):
        self.position += 1  # '['
        self.skip_spaces()
        head = self.peek()
        if head == "*":
            self.position += 1
            segment = Wildcard()
        elif head == "?":
            self.position += 1
            self.expect("(")
            segment = Filter(self.parse_or())
            self.expect(")")
        elif head in ("'", '"'):
            segment = Child(self.parse_list(self.parse_string))
        else:
            segment = self.parse_indexes()
        self.expect("]")
        return segment

    def parse_list(self, parse_item) -> list:
        items = [parse_item()]
        self.skip_spaces()
        while self.peek() == ",":
            self.position += 1
            self.skip_spaces()
            items.append(parse_item())
            self.skip_spaces()
        return items

    def parse_indexes(self):
        first = self.parse_optional_int()
        self.skip_spaces()
        if self.peek() != ":":
            if first is None:
                self.fail("expected an index, a slice, a quoted name, '*' or a filter")
            return Index(self.parse_rest_of_list(first))
        self.position += 1
        end = self.parse_optional_int()
        step = 1
        self.skip_spaces()
        if self.peek() == ":":
            self.position += 1
            given = self.parse_optional_int()
            if given is not None:
                if given <= 0:
                    self.fail("slice step must be a positive integer")
                step = given
        return Slice(first, end, step)

    def parse_rest_of_list(self, first: int) -> list:
        indexes = [first]
        self.skip_spaces()
        while self.peek() == ",":
            self.position += 1
            self.skip_spaces()
            number = self.parse_optional_int()
            if number is None:
                self.fail("expected an index")
            indexes.append(number)
            self.skip_spaces()
        return indexes

    def parse_optional_int(self):
        self.skip_spaces()
        found = INTEGER.match(self.text, self.position)
        if found is None:
            return None
        self.position = found.end()
        return int(found.group())

    def parse_string(self) -> str:
        quote = self.peek()
        if quote not in ("'", '"'):
            self.fail("expected a quoted string")
        self.position += 1
        characters = []
        while True:
            if self.position >= len(self.text):
                self.fail("unterminated string")
            character = self.text[self.position]
            self.position += 1
            if character == quote:
                return "".join(characters)
            if character == "\\" and self.position < len(self.text):
                character = self.parse_escape()
            characters.append(character)

    def parse_escape(self) -> str:
        character = self.text[self.position]
        self.position += 1
        simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/"}
        if character in simple:
            return simple[character]
        if character == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.peek(4)):
            self.position += 4
            return chr(int(self.text[self.position - 4:self.position], 16))
        return character  # \\ \' \" and anything else: the character itself

    # filter expressions: || binds looser than &&; parentheses group.
    def parse_or(self):
        parts = [self.parse_and()]
        while self.at("||"):
            self.position += 2
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else AnyOf(parts)

    def parse_and(self):
        parts = [self.parse_unary()]
        while self.at("&&"):
            self.position += 2
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else AllOf(parts)

    def parse_unary(self):
        self.skip_spaces()
        if self.peek() == "(":
            self.position += 1
            inner = self.parse_or()
            self.expect(")")
            return inner
        left = self.parse_term()
        self.skip_spaces()
        for operator in OPERATORS:
            if self.text.startswith(operator, self.position):
                self.position += len(operator)
                return Comparison(left, operator, self.parse_term())
        return Exists(left)

    def parse_term(self):
        self.skip_spaces()
        head = self.peek()
        if head in ("@", "$"):
            self.position += 1
            return RelativePath(self.parse_segments(), from_root=head == "$")
        if head in ("'", '"'):
            return Literal(self.parse_string())
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.position):
                self.position += len(word)
                return Literal(value)
        found = NUMBER.match(self.text, self.position)
        if found is None:
            self.fail("expected '@', '$', a number, a string, true, false or null")
        self.position = found.end()
        is_integer = found.group(1) is None and found.group(2) is None
        return Literal(int(found.group()) if is_integer else float(found.group()))


def jsonpath_text(path: str) -> str:
    """The JSONPath for a path argument: legacy paths are rewritten as RedisJSON does."""
    if path.startswith("$"):
        return path
    if path == ".":
        return "$"
    if path.startswith("."):
        return "$" + path
    return "$." + path


@lru_cache(maxsize=1024)
def compile_path(path: str) -> Query:
    """Parse a path argument (cached: queries are immutable). Raises JsonPathError."""
    text = jsonpath_text(path)
    return Query(text, Parser(text).parse_query(), legacy=not path.startswith("$"))
