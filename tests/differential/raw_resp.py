"""A raw RESP2/RESP3 client for byte-exact comparisons: send argv, get back the reply's exact bytes.

`RawConnection.call(*argv)` returns (raw_bytes, tree) where tree is a (type_byte, value) pair:
aggregates hold lists of trees (maps and attributes hold [key, value, key, value, ...]).
"""
import socket
import time

AGGREGATES = {b"*": 1, b"~": 1, b">": 1, b"%": 2, b"|": 2}
BLOBS = (b"$", b"=", b"!")
LINES = (b"+", b"-", b":", b",", b"#", b"_", b"(")


def encode_command(argv) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class RawConnection:
    def __init__(self, port: int, timeout_s: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.timeout_s = timeout_s
        self.buffer = b""
        self.position = 0

    def close(self):
        self.sock.close()

    def call(self, *argv):
        self.sock.sendall(encode_command(argv))
        return self.read_reply()

    def read_reply(self):
        self.buffer, self.position = self.buffer[self.position:], 0
        start = self.position
        tree = self._read_tree()
        raw = self.buffer[start:self.position]
        return raw, tree

    # -----------------------------------------------------------------------------------------

    def _fill(self, needed: int):
        deadline = time.monotonic() + self.timeout_s
        while len(self.buffer) < needed:
            if time.monotonic() > deadline:
                raise TimeoutError("no complete reply within %.0f s" % self.timeout_s)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk

    def _line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n", self.position)
            if end >= 0:
                line = self.buffer[self.position:end]
                self.position = end + 2
                return line
            self._fill(len(self.buffer) + 1)

    def _read_tree(self):
        line = self._line()
        kind, payload = line[:1], line[1:]
        if kind in LINES:
            return kind, payload
        if kind in BLOBS:
            length = int(payload)
            if length < 0:
                return kind, None
            self._fill(self.position + length + 2)
            data = self.buffer[self.position:self.position + length]
            self.position += length + 2
            return kind, data
        if kind in AGGREGATES:
            count = int(payload)
            if count < 0:
                return kind, None
            return kind, [self._read_tree() for _ in range(count * AGGREGATES[kind])]
        raise ValueError("unknown RESP type in %r" % line)
