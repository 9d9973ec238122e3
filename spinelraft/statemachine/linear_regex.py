"""A linear-time regular expression search for JSONPath's `=~` filters.

RedisJSON uses Rust's regex crate, which guarantees time linear in the subject's length. Python's
`re` backtracks: a pattern such as `(a+)+$` can run for hours, and a write applied from the Raft
log with such a filter would stall every replica at the same entry. This module compiles the
Rust-compatible subset that matters (literals, `.`, classes, \\d \\w \\s and their negations,
anchors ^ $ \\A \\z \\b \\B, groups, alternation, greedy or lazy * + ? {n,m}, and the i m s flags)
into a Thompson NFA and simulates it, so a search costs O(len(subject) * len(pattern)).
Backreferences and look-around do not exist in Rust's regex either: such patterns do not compile.
"""

MAX_PROGRAM = 20_000  # instructions; bigger patterns (e.g. huge counted repeats) are refused
MAX_REPEAT = 1000

# Instruction opcodes.
CHAR, SPLIT, JUMP, ASSERT, MATCH = range(5)


class RegexError(Exception):
    pass


def is_word(character: str) -> bool:
    return character == "_" or character.isalnum()


ESCAPE_CLASSES = {
    "d": str.isdecimal,
    "w": is_word,
    "s": str.isspace,
    "D": lambda character: not character.isdecimal(),
    "W": lambda character: not is_word(character),
    "S": lambda character: not character.isspace(),
}
ESCAPE_CHARACTERS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}
ESCAPE_ASSERTIONS = {"b": "word", "B": "not word", "A": "start", "z": "end"}


class Parser:
    """Pattern text -> syntax tree of tuples: ("char", test), ("assert", kind), ("concat", items),
    ("alternate", items), ("repeat", item, least, most or None)."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.position = 0
        self.flags = {"i": False, "m": False, "s": False}

    def peek(self) -> str:
        return self.pattern[self.position:self.position + 1]

    def take(self) -> str:
        if self.position >= len(self.pattern):
            raise RegexError("unexpected end of pattern")
        character = self.pattern[self.position]
        self.position += 1
        return character

    def parse(self):
        tree = self.parse_alternation()
        if self.position != len(self.pattern):
            raise RegexError("unbalanced parenthesis")
        return tree

    def parse_alternation(self):
        saved = dict(self.flags)
        branches = [self.parse_sequence()]
        while self.peek() == "|":
            self.position += 1
            branches.append(self.parse_sequence())
        self.flags = saved  # flags set inside a group end with it
        return branches[0] if len(branches) == 1 else ("alternate", branches)

    def parse_sequence(self):
        items = []
        while self.peek() not in ("", "|", ")"):
            atom = self.parse_atom()
            if atom is not None:
                items.append(self.parse_quantifiers(atom))
        return ("concat", items)

    def parse_quantifiers(self, atom):
        bounds = self.parse_quantifier()
        if bounds is None:
            return atom
        if atom[0] == "assert":
            raise RegexError("repetition of an assertion")
        if self.peek() == "?":  # lazy: the same set of matches for a yes/no search
            self.position += 1
        if self.peek() in ("*", "+", "?"):
            raise RegexError("repeated repetition")
        return ("repeat", atom, bounds[0], bounds[1])

    def parse_quantifier(self):
        character = self.peek()
        if character in ("*", "+", "?"):
            self.position += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[character]
        if character != "{":
            return None
        closing = self.pattern.find("}", self.position)
        body = self.pattern[self.position + 1:closing] if closing > 0 else ""
        least, comma, most = body.partition(",")
        if not least.strip().isdigit() or (most.strip() and not most.strip().isdigit()):
            raise RegexError("invalid repetition")
        self.position = closing + 1
        least = int(least)
        most = None if comma and not most.strip() else int(most) if comma else least
        if (most is not None and most < least) or max(least, most or 0) > MAX_REPEAT:
            raise RegexError("invalid repetition bounds")
        return least, most

    def parse_atom(self):
        character = self.take()
        if character == "(":
            return self.parse_group()
        if character == "[":
            negated = self.peek() == "^"
            self.position += negated
            test = self.case_aware(self.parse_class())
            return ("char", (lambda c: not test(c)) if negated else test)
        if character == ".":
            dot_all = self.flags["s"]
            return ("char", lambda c: dot_all or c != "\n")
        if character == "^":
            return ("assert", "line start" if self.flags["m"] else "start")
        if character == "$":
            return ("assert", "line end" if self.flags["m"] else "end")
        if character == "\\":
            return self.parse_escape()
        if character in ("*", "+", "?", "{", ")"):
            raise RegexError("repetition operator missing expression")
        return ("char", self.literal(character))

    def parse_group(self):
        outer_flags = dict(self.flags)
        if self.pattern.startswith("?", self.position):
            self.position += 1
            if self.peek() in ("P", "<"):  # named group: the name does not matter here
                closing = self.pattern.find(">", self.position)
                if closing < 0:
                    raise RegexError("invalid group name")
                self.position = closing + 1
            elif self.parse_flags():
                return None  # (?flags) alone: applies to the rest of the enclosing group
        inner = self.parse_alternation()
        if self.take() != ")":
            raise RegexError("unclosed group")
        self.flags = outer_flags  # (?i:...) ends with its group
        return inner

    def parse_flags(self) -> bool:
        """Reads `flags)` or `flags:` after `(?`; True when the group was flags only."""
        enabled = True
        while True:
            character = self.take()
            if character == ")":
                return True
            if character == ":":
                return False
            if character == "-":
                enabled = False
            elif character in self.flags:
                self.flags[character] = enabled
            elif character != "U":  # swapping greediness changes nothing for a yes/no search
                raise RegexError("unsupported flag")

    def parse_escape(self):
        character = self.take()
        if character in ESCAPE_CLASSES:
            return ("char", ESCAPE_CLASSES[character])
        if character in ESCAPE_ASSERTIONS:
            return ("assert", ESCAPE_ASSERTIONS[character])
        return ("char", self.literal(self.escaped_character(character)))

    def escaped_character(self, character: str) -> str:
        if character in ESCAPE_CHARACTERS:
            return ESCAPE_CHARACTERS[character]
        if character == "x":
            return self.parse_hex()
        if character.isalnum():  # \1 backreferences, \p classes...: not supported
            raise RegexError("unsupported escape")
        return character

    def parse_hex(self) -> str:
        if self.peek() == "{":
            closing = self.pattern.find("}", self.position)
            digits = self.pattern[self.position + 1:closing] if closing > 0 else ""
            self.position = closing + 1
        else:
            digits = self.pattern[self.position:self.position + 2]
            self.position += 2
        try:
            return chr(int(digits, 16))
        except (ValueError, OverflowError):
            raise RegexError("invalid hex escape")

    def parse_class(self):
        """The test for the members of a [...] class (after any leading ^)."""
        tests = []
        first = True
        while True:
            character = self.take()
            if character == "]" and not first:
                break
            first = False
            tests.append(self.parse_class_item(character))
        return lambda c: any(test(c) for test in tests)

    def parse_class_item(self, character: str):
        if character == "[":
            raise RegexError("nested classes are not supported")
        if character == "\\":
            escaped = self.take()
            if escaped in ESCAPE_CLASSES:
                return ESCAPE_CLASSES[escaped]
            character = self.escaped_character(escaped)
        if self.peek() == "-" and self.pattern[self.position + 1:self.position + 2] not in ("]", ""):
            self.position += 1
            high = self.take()
            if high == "\\":
                high = self.escaped_character(self.take())
            if high < character:
                raise RegexError("invalid class range")
            return lambda c, low=character, high=high: low <= c <= high
        return lambda c, wanted=character: c == wanted

    def literal(self, character: str):
        return self.case_aware(lambda c: c == character)

    def case_aware(self, test):
        if not self.flags["i"]:
            return test
        return lambda c: test(c) or test(c.lower()) or test(c.upper())


# -- compiling to an NFA program -------------------------------------------------------------------
def emit(tree, program: list):
    kind = tree[0]
    if kind == "char":
        program.append((CHAR, tree[1]))
    elif kind == "assert":
        program.append((ASSERT, tree[1]))
    elif kind == "concat":
        for item in tree[1]:
            emit(item, program)
    elif kind == "alternate":
        emit_alternation(tree[1], program)
    else:
        emit_repeat(tree[1], tree[2], tree[3], program)
    if len(program) > MAX_PROGRAM:
        raise RegexError("pattern too large")


def emit_alternation(branches, program: list):
    jumps = []
    for branch in branches[:-1]:
        split = len(program)
        program.append(None)
        emit(branch, program)
        jumps.append(len(program))
        program.append(None)
        program[split] = (SPLIT, split + 1, len(program))
    emit(branches[-1], program)
    for jump in jumps:
        program[jump] = (JUMP, len(program))


def emit_repeat(item, least: int, most, program: list):
    for _ in range(least):
        emit(item, program)
    if most is None:  # loop: split(body, exit); body; jump back
        loop = len(program)
        program.append(None)
        emit(item, program)
        program.append((JUMP, loop))
        program[loop] = (SPLIT, loop + 1, len(program))
        return
    splits = []
    for _ in range(most - least):
        splits.append(len(program))
        program.append(None)
        emit(item, program)
    for split in splits:
        program[split] = (SPLIT, split + 1, len(program))


def holds(kind: str, text: str, position: int) -> bool:
    before = text[position - 1] if position > 0 else ""
    after = text[position] if position < len(text) else ""
    if kind == "start":
        return position == 0
    if kind == "end":
        return position == len(text)
    if kind == "line start":
        return position == 0 or before == "\n"
    if kind == "line end":
        return position == len(text) or after == "\n"
    boundary = (before != "" and is_word(before)) != (after != "" and is_word(after))
    return boundary if kind == "word" else not boundary


class Regex:
    __slots__ = ("program",)

    def __init__(self, pattern: str):
        program = []
        emit(Parser(pattern).parse(), program)
        program.append((MATCH,))
        self.program = program

    def search(self, text: str) -> bool:
        """True when the pattern matches anywhere in text (an unanchored search)."""
        program = self.program
        marks = [-1] * len(program)  # marks[i] == position: instruction i already queued there
        threads = []
        for position in range(len(text) + 1):
            if self.add(threads, 0, text, position, marks):  # a match may start anywhere
                return True
            if position == len(text):
                return False
            character = text[position]
            following = []
            for counter in threads:
                if program[counter][1](character) and \
                        self.add(following, counter + 1, text, position + 1, marks):
                    return True
            threads = following
        return False

    def add(self, threads: list, counter: int, text: str, position: int, marks: list) -> bool:
        """Follow empty transitions from `counter` at `position`; character tests are queued
        in `threads`. True when the match instruction is reached."""
        program = self.program
        stack = [counter]
        while stack:
            counter = stack.pop()
            if marks[counter] == position:
                continue
            marks[counter] = position
            instruction = program[counter]
            opcode = instruction[0]
            if opcode == CHAR:
                threads.append(counter)
            elif opcode == MATCH:
                return True
            elif opcode == JUMP:
                stack.append(instruction[1])
            elif opcode == SPLIT:
                stack.append(instruction[2])
                stack.append(instruction[1])
            elif holds(instruction[1], text, position):
                stack.append(counter + 1)
        return False


def compile_regex(pattern: str):
    """A Regex, or None when the pattern is not valid (RedisJSON then matches nothing)."""
    try:
        return Regex(pattern)
    except (RegexError, RecursionError):
        return None
