"""A small asyncio RESP2 client for the Warden's talks with cluster nodes (replies parsed by hiredis).

One persistent connection per node, AUTH on connect when the cluster has a password, one
pipelined exchange at a time. Any transport problem closes the connection (the next call
reconnects) and is raised as NodeUnreachable, with `refused` set when nothing listens there.
"""
import asyncio

import hiredis

from spinelraft.node.peer_client import encode_request
from spinelraft.replies import ErrorReply


class NodeUnreachable(Exception):
    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused


class NodeLink:
    def __init__(self, host: str, port: int, password: str = ""):
        self.host = host
        self.port = port
        self.password = password
        self._reader = None
        self._writer = None
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str:
        return "%s:%d" % (self.host, self.port)

    async def request(self, *argv, timeout_s: float = 1.0):
        """One command; its reply (ErrorReply for an error reply)."""
        return (await self.pipeline([argv], timeout_s))[0]

    async def pipeline(self, commands, timeout_s: float = 1.0) -> list:
        async with self._lock:
            try:
                return await asyncio.wait_for(self._exchange(commands), timeout_s)
            except asyncio.TimeoutError:
                self.close()
                raise NodeUnreachable("%s did not answer in %.1f s" % (self.address, timeout_s)) from None
            except ConnectionRefusedError:
                self.close()
                raise NodeUnreachable("%s refused the connection" % self.address, refused=True) from None
            except (OSError, EOFError, hiredis.ProtocolError) as error:
                self.close()
                raise NodeUnreachable("%s: %s" % (self.address, error or type(error).__name__)) from None

    async def _exchange(self, commands) -> list:
        pending = list(commands)
        skip = 0
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self._parser = hiredis.Reader(replyError=ErrorReply)
            if self.password:
                pending.insert(0, (b"AUTH", self.password.encode()))
                skip = 1
        self._writer.write(b"".join(encode_request(argv) for argv in pending))
        replies = []
        while len(replies) < len(pending):
            reply = self._parser.gets()
            if reply is not False:
                replies.append(reply)
                continue
            data = await self._reader.read(65536)
            if not data:
                raise EOFError("connection closed by %s" % self.address)
            self._parser.feed(data)
        if skip and isinstance(replies[0], ErrorReply):
            self.close()  # authenticate again next time (the password may be fixed meanwhile)
            return [replies[0]] * (len(replies) - 1)
        return replies[skip:]

    def close(self):
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def request_once(host: str, port: int, argv, password: str = "", timeout_s: float = 1.0):
    """A command on a connection of its own (closed afterwards)."""
    link = NodeLink(host, port, password)
    try:
        return await link.request(*argv, timeout_s=timeout_s)
    finally:
        link.close()
