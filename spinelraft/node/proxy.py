"""Commands for shards this node does not replicate go to a node that does.

One pipelined RESP connection per peer carries them as `RAFT RUN shard db readonly argv...`;
the peer runs the command on its replica of the shard (its own follower path forwards writes to
the shard's leader) and answers with the packed reply (replies.pack), so the client gets the
same reply objects, encoded for its own protocol here. Blocking commands get a connection of
their own for the wait.

A write whose connection broke after it was sent may have been applied: the client is told the
outcome is unknown, never that it failed.
"""
import asyncio
import collections
import logging

import hiredis

from spinelraft import errors
from spinelraft.node.peer_client import encode_request, request
from spinelraft.replies import ErrorReply, unpack

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
NOT_HOSTED = "SHARDMISS"  # error prefix: the peer does not replicate that shard (any more)


class PeerLink:
    """A pipelined connection to one peer: requests go out in order, replies come back in order."""

    def __init__(self, host: str, port: int, password: str):
        self.host, self.port, self.password = host, port, password
        self.writer = None
        self.waiting = collections.deque()  # futures, in request order
        self.connecting = None

    async def call(self, argv):
        """The reply to argv; ConnectionError if it could not be sent (nothing happened), or
        BrokenPipeError if the connection broke after sending (anything may have happened)."""
        if self.writer is None:
            if self.connecting is None:
                self.connecting = asyncio.get_running_loop().create_task(self._connect())
            try:
                await asyncio.shield(self.connecting)
            except (OSError, asyncio.TimeoutError) as error:
                raise ConnectionError("cannot reach %s:%d: %s" % (self.host, self.port, error)) from None
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self.writer.write(encode_request(argv))
        return await future

    async def _connect(self):
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S)
            if self.password:
                writer.write(encode_request([b"AUTH", self.password.encode()]))
                self.waiting.append(asyncio.get_running_loop().create_future())
            self.writer = writer
            asyncio.get_running_loop().create_task(self._read(reader, writer))
        finally:
            self.connecting = None

    async def _read(self, reader, writer):
        parser = hiredis.Reader(replyError=lambda message: ErrorReply(message))
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                parser.feed(data)
                while True:
                    reply = parser.gets()
                    if reply is False:
                        break
                    future = self.waiting.popleft()
                    if not future.done():
                        future.set_result(reply)
        except (OSError, IndexError):
            pass
        finally:
            if self.writer is writer:
                self.writer = None
            writer.close()
            waiting, self.waiting = self.waiting, collections.deque()
            for future in waiting:
                if not future.done():
                    future.set_exception(BrokenPipeError("connection to %s:%d lost" % (self.host, self.port)))


class Proxy:
    def __init__(self, node):
        self.node = node
        self.links = {}  # (host, port) -> PeerLink

    def link(self, member) -> PeerLink:
        key = (member["host"], member["port"])
        link = self.links.get(key)
        if link is None:
            link = self.links[key] = PeerLink(member["host"], member["port"],
                                              self.node.settings.requirepass)
        return link

    async def run(self, shard_id: int, db: int, readonly: bool, argv, is_write: bool, blocking: bool = False):
        """The reply of argv run on a node replicating the shard."""
        request_argv = [b"RAFT", b"RUN", b"%d" % shard_id, b"%d" % db, b"1" if readonly else b"0", *argv]
        return await self.call(shard_id, request_argv, is_write, blocking)

    async def call(self, shard_id: int, request_argv, is_write: bool, blocking: bool = False):
        remote = self.node.remote.get(shard_id)
        candidates = remote.candidates() if remote is not None else []
        if not candidates:
            return ErrorReply(errors.CLUSTERDOWN)
        last_error = errors.CLUSTERDOWN
        for member in candidates:
            try:
                if blocking:
                    reply = await request(member["host"], member["port"], request_argv,
                                          self.node.settings.requirepass, timeout_s=None)
                else:
                    reply = await self.link(member).call(request_argv)
            except (ConnectionError, asyncio.TimeoutError, OSError) as error:
                if isinstance(error, BrokenPipeError) and is_write:
                    return ErrorReply(errors.UNKNOWN_OUTCOME)
                last_error = "CLUSTERDOWN cannot reach a replica of shard %d (%s)" % (shard_id, error)
                remote.next_member += 1
                continue
            if type(reply) is ErrorReply:
                if reply.message.startswith(NOT_HOSTED):
                    last_error = "CLUSTERDOWN shard %d moved; retry" % shard_id
                    remote.next_member += 1
                    continue
                return reply
            return unpack(reply)
        return ErrorReply(last_error)
