"""A raw RESP client over a plain socket: send exact bytes, read exact replies, see the close.

redis-py hides what the tests here are about (the bytes on the wire, when the server closes),
so these tests talk to the server through this. Every read is bounded in time.
"""
import socket
import time
from concurrent.futures import ThreadPoolExecutor

READ_TIMEOUT_S = 10.0


def encode(*args) -> bytes:
    """One multibulk request, as clients send it."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RawConnection:
    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=READ_TIMEOUT_S)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def call(self, *args):
        """Send one command, return its decoded reply (errors come back as RespError)."""
        self.send(encode(*args))
        return self.read_reply()

    # -- reading -------------------------------------------------------------------------------
    def _fill(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no reply in time; got so far: %r" % self.buffer[:200])
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed by the server; unread: %r" % self.buffer[:200])
        self.buffer += chunk

    def read_line(self, deadline: float = None) -> bytes:
        deadline = deadline or time.monotonic() + READ_TIMEOUT_S
        while b"\r\n" not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_exact(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            self._fill(deadline)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_reply(self, deadline: float = None):
        """Decode one RESP2/RESP3 reply: bytes, int, str (status), RespError, list, dict, None."""
        deadline = deadline or time.monotonic() + READ_TIMEOUT_S
        line = self.read_line(deadline)
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind in (b":", b"("):
            return int(rest)
        if kind in (b"$", b"=", b"!"):
            length = int(rest)
            if length < 0:
                return None
            data = self.read_exact(length + 2, deadline)[:-2]
            return data
        if kind == b"_":
            return None
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        if kind in (b"*", b"~", b">"):
            count = int(rest)
            return None if count < 0 else [self.read_reply(deadline) for _ in range(count)]
        if kind == b"%":
            pairs = [(self.read_reply(deadline), self.read_reply(deadline)) for _ in range(int(rest))]
            return dict(pairs)
        raise AssertionError("not a RESP reply: %r" % line)

    def read_all_until_closed(self, timeout_s: float = READ_TIMEOUT_S) -> bytes:
        """Everything the server sends until it closes; raises if it stays open."""
        deadline = time.monotonic() + timeout_s
        data = self.buffer
        self.buffer = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the server kept the connection open; got %r" % data[:200])
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk

    def is_open_after(self, wait_s: float) -> bool:
        """True when nothing arrives and the socket is still open after wait_s."""
        self.sock.settimeout(wait_s)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return True
        except ConnectionResetError:
            return False
        if chunk:
            self.buffer += chunk
            return True
        return False


class RespError(str):
    """An error reply (the text after '-')."""


def exchange(port: int, data: bytes, settle_s: float = 0.3) -> tuple:
    """Send data on a new connection; return (everything received, closed by the server?).

    Waits until the server closes, or until nothing more arrives for settle_s."""
    with RawConnection(port) as conn:
        conn.send(data)
        received = b""
        deadline = time.monotonic() + READ_TIMEOUT_S
        while time.monotonic() < deadline:
            conn.sock.settimeout(settle_s)
            try:
                chunk = conn.sock.recv(1 << 16)
            except socket.timeout:
                return received, False
            except ConnectionResetError:
                return received, True
            if not chunk:
                return received, True
            received += chunk
        return received, False


def exchange_all(port: int, requests, settle_s: float = 0.3) -> list:
    """exchange() for many requests at once, each on its own connection (one settle wait)."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda data: exchange(port, data, settle_s), requests))


def vm_rss_kib(pid: int) -> int:
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)
