"""I/O-free RESP request parser: feed(bytes), then commands() -> list of argv lists.

Handles multibulk requests (what clients send) and inline commands (telnet, redis-cli in some
modes), with Redis's limits and error texts. A request larger than the limits is refused before
its payload is buffered, so a 20-byte header can never make the server allocate gigabytes.
It keeps its place inside a partly received request, so big values arriving in many reads are
not parsed again each time.

Like Redis 7.0, a multibulk count may be anything up to INT_MAX: nothing is allocated for it in
advance, arguments are stored as they arrive. Before AUTH, a connection may send at most 10
arguments and 16 KiB per argument (`unauthenticated` is set by the connection).
"""
import re

MAX_BULK_BYTES = 512 * 1024 * 1024  # proto-max-bulk-len
MAX_MULTIBULK_LENGTH = 2**31 - 1  # INT_MAX, as Redis 7.0
MAX_INLINE_BYTES = 64 * 1024
UNAUTHENTICATED_MAX_ARGS = 10
UNAUTHENTICATED_MAX_BULK = 16 * 1024
_COMPACT_AT = 64 * 1024
# Redis string2ll: optional '-', no '+', no leading zeros, no spaces.
_LENGTH = re.compile(rb"(0|-?[1-9][0-9]*)\Z")


class ProtocolError(Exception):
    """The stream is not valid RESP: reply with the message, then close the connection."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = "ERR Protocol error: " + message


class RequestParser:
    __slots__ = ("buffer", "pos", "max_bulk", "error", "unauthenticated", "_args", "_remaining")

    def __init__(self, max_bulk: int = MAX_BULK_BYTES):
        self.buffer = bytearray()
        self.pos = 0
        self.max_bulk = max_bulk
        self.error = None  # set once the stream is invalid: the connection must close
        self.unauthenticated = False  # AUTH is required: small limits, one command per call
        self._args = None  # arguments of a multibulk request received in part
        self._remaining = 0

    def feed(self, data: bytes):
        # Usually the previous data was consumed whole: parse the new bytes object as it is
        # (slicing bytes copies once; a bytearray slice then bytes() would copy twice).
        if self.pos >= len(self.buffer) and self._args is None:
            self.buffer = bytes(data)
            self.pos = 0
            return
        if type(self.buffer) is bytes:
            self.buffer = bytearray(self.buffer[self.pos :])
            self.pos = 0
        self.buffer += data

    def pending_bytes(self) -> int:
        return len(self.buffer) - self.pos

    def commands(self) -> list:
        """Every complete command in the buffer. On bad input, returns the commands before it
        and sets `error` (the text to send before closing); nothing more is parsed after that.
        While `unauthenticated`, it returns after one command, so that an AUTH is run before the
        limits are checked for the next request (Redis parses and runs one request at a time)."""
        found = []
        buffer = self.buffer
        while self.pos < len(buffer) and self.error is None:
            try:
                if self._args is None and buffer[self.pos] != 42:  # not '*': inline command
                    argv = self._inline()
                else:
                    argv = self._multibulk()
            except ProtocolError as error:
                self.error = error.message
                break
            if argv is None:
                break
            if argv:
                found.append(argv)
                if self.unauthenticated:
                    break
        if self.pos >= _COMPACT_AT or self.pos == len(buffer):
            self.buffer = buffer[self.pos :]
            self.pos = 0
        return found

    def _multibulk(self):
        buffer = self.buffer
        if self._args is None:
            end = _header_end(buffer, self.pos)
            if end < 0:
                if len(buffer) - self.pos > MAX_INLINE_BYTES:
                    raise ProtocolError("too big mbulk count string")
                return None
            digits = buffer[self.pos + 1 : end]
            if digits.isdigit() and len(digits) < 9 and (digits[0] != 48 or len(digits) == 1):
                count = int(digits)  # the usual case, without the regex below
            else:
                count = _parse_length(buffer, self.pos + 1, end)
            if count is None or count > MAX_MULTIBULK_LENGTH:
                raise ProtocolError("invalid multibulk length")
            if count > UNAUTHENTICATED_MAX_ARGS and self.unauthenticated:
                raise ProtocolError("unauthenticated multibulk length")
            self.pos = end + 2
            if count <= 0:
                return []
            self._args = []
            self._remaining = count
        args = self._args
        # Hot loop (once per argument of every request): locals only, state written back once.
        pos = self.pos
        remaining = self._remaining
        size = len(buffer)
        find = buffer.find
        append = args.append
        max_bulk = self.max_bulk
        try:
            while remaining:
                if pos >= size:
                    break
                end = find(b"\r", pos)
                if end >= 0 and (end + 1 >= size or find(b"\x00", pos, end) >= 0):
                    end = -1  # as _header_end (inlined: once per argument)
                if end < 0:
                    if size - pos > MAX_INLINE_BYTES:
                        raise ProtocolError("too big bulk count string")
                    break
                if buffer[pos] != 36:  # '$'
                    raise ProtocolError("expected '$', got '%s'" % chr(buffer[pos]))
                digits = buffer[pos + 1 : end]
                if not digits.isdigit() or len(digits) > 20 or (digits[0] == 48 and len(digits) > 1):
                    length = _parse_length(buffer, pos + 1, end)  # the exact error, off the hot path
                    if length is None or length < 0 or length > max_bulk:
                        raise ProtocolError("invalid bulk length")
                else:
                    length = int(digits)
                    if length > max_bulk:
                        raise ProtocolError("invalid bulk length")
                if length > UNAUTHENTICATED_MAX_BULK and self.unauthenticated:
                    raise ProtocolError("unauthenticated bulk length")
                data_end = end + 2 + length
                if data_end + 2 > size:
                    break
                value = buffer[end + 2 : data_end]
                append(value if type(value) is bytes else bytes(value))
                pos = data_end + 2
                remaining -= 1
        finally:
            self.pos = pos
            self._remaining = remaining
        if remaining:
            return None
        self._args = None
        return args

    def _inline(self):
        buffer = self.buffer
        end = buffer.find(b"\n", self.pos)
        if end >= 0 and buffer.find(b"\x00", self.pos, end) >= 0:
            end = -1  # Redis looks for the newline with strchr: a NUL before it hides it
        if end < 0:
            if len(buffer) - self.pos > MAX_INLINE_BYTES:
                raise ProtocolError("too big inline request")
            return None
        line = bytes(buffer[self.pos : end])
        self.pos = end + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        argv = split_args(line)
        if argv is None:
            raise ProtocolError("unbalanced quotes in request")
        return argv


def _header_end(buffer, start: int) -> int:
    """Where a '*N' or '$N' header ends, as Redis finds it: strchr(..., '\r') (so a NUL before
    it hides it), with one more byte present; that byte is skipped whatever it is (a lone '\r'
    ends a header). -1 while incomplete."""
    end = buffer.find(b"\r", start)
    if end < 0 or end + 1 >= len(buffer) or buffer.find(b"\x00", start, end) >= 0:
        return -1
    return end


def _parse_length(buffer, start: int, end: int):
    if end <= start or end - start > 20:
        return None
    # int() alone would also accept spaces, '+', '_' and leading zeros; string2ll does not.
    if _LENGTH.match(buffer, start, end) is None:
        return None
    return int(buffer[start:end])


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"


def split_args(line: bytes):
    """Split an inline command like Redis's sdssplitargs: quotes, escapes, \\xHH. None if
    the quotes are unbalanced."""
    args = []
    index = 0
    length = len(line)
    while True:
        while index < length and line[index] in b" \n\r\t\x0b\f":
            index += 1
        if index >= length:
            return args
        current = bytearray()
        in_double = in_single = False
        while True:
            if in_double:
                if index >= length:
                    return None
                char = line[index]
                if (char == 92 and index + 3 < length and line[index + 1] == ord("x")
                        and line[index + 2] in _HEX and line[index + 3] in _HEX):
                    current.append(int(line[index + 2 : index + 4], 16))
                    index += 3
                elif char == 92 and index + 1 < length:
                    index += 1
                    current.append(_ESCAPES.get(line[index], line[index]))
                elif char == 34:
                    if index + 1 < length and line[index + 1] not in b" \n\r\t\x0b\f":
                        return None  # closing quote must be followed by a space
                    in_double = False
                    index += 1
                    break
                else:
                    current.append(char)
            elif in_single:
                if index >= length:
                    return None
                char = line[index]
                if char == 92 and index + 1 < length and line[index + 1] == 39:
                    index += 1
                    current.append(39)
                elif char == 39:
                    if index + 1 < length and line[index + 1] not in b" \n\r\t\x0b\f":
                        return None
                    in_single = False
                    index += 1
                    break
                else:
                    current.append(char)
            else:
                if index >= length:
                    break
                char = line[index]
                if char in b" \n\r\t\x0b\f":
                    break
                if char == 34:
                    in_double = True
                elif char == 39:
                    in_single = True
                else:
                    current.append(char)
            index += 1
        args.append(bytes(current))
