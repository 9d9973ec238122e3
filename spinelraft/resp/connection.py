"""One RESP client connection: parse, dispatch in order, reply in order, with backpressure.

`data_received` parses and dispatches; replies are written in request order. A write returns a
Slot that resolves when its Raft entry is applied, so a pipeline of writes is proposed at once
(and shares entries with other clients). A read behind a pending write waits for it (a deferred
slot), and once anything is deferred, everything after it waits too, so a pipeline always sees
its own earlier commands and nothing later.
"""
import asyncio
import logging
import time
from collections import deque
from functools import partial

from spinelraft.command_table import BLOCKING, lookup
from spinelraft.node.session import Session, Slot
from spinelraft.resp.encoder import encode
from spinelraft.resp.parser import RequestParser

log = logging.getLogger(__name__)

PAUSE_AT_PENDING = 1024  # replies outstanding before we stop reading this socket
RESUME_AT_PENDING = 256


class RespConnection(asyncio.Protocol):
    def __init__(self, node):
        self.node = node
        self.transport = None
        self.session = None
        self.parser = RequestParser(node.settings.proto_max_bulk_len)
        self.queue = deque()  # Slots awaiting their turn to reply, in request order
        self.deferred = 0  # slots in queue that have not been dispatched yet
        self.blocking = 0  # slots in queue of blocking commands (BLPOP...) not answered yet
        self.reading_paused = False
        self.writing_paused = False
        self.closed = False
        self.drain_scheduled = False

    # -- asyncio callbacks --------------------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        peer = _address(transport.get_extra_info("peername"))
        local = _address(transport.get_extra_info("sockname"))
        node = self.node
        self.session = Session(node, peer, local)
        self.session.kill = self.close
        node.total_connections += 1
        if len(node.sessions) >= node.settings.maxclients:
            node.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
            self.closed = True
            return
        node.sessions[self.session.id] = self.session

    def connection_lost(self, exc):
        self.closed = True
        self.node.close_session(self.session)

    def pause_writing(self):  # the client is not reading its replies: stop reading its requests
        self.writing_paused = True
        self._pause_reading()

    def resume_writing(self):
        self.writing_paused = False
        self._maybe_resume_reading()

    def data_received(self, data):
        if self.closed:
            return
        parser = self.parser
        parser.feed(data)
        self.session.last_active = time.monotonic()
        out = []
        session = self.session
        while not session.closing:
            parser.unauthenticated = not session.authenticated
            batch = parser.commands()  # one command at a time until AUTH succeeds
            if not batch:
                break
            for argv in batch:
                self._handle(argv, out)
                if session.closing:
                    break
        if out:
            self.transport.write(b"".join(out))
        if parser.error is not None or self.session.closing:
            self._close_after_replies()
        elif len(self.queue) >= PAUSE_AT_PENDING:
            self._pause_reading()

    # -- ordering -----------------------------------------------------------------------------
    def _handle(self, argv, out):
        queue = self.queue
        if queue and (self.deferred or self.blocking or not _is_write(argv)):
            self.deferred += 1
            # received now: a barrier proposed after this point also covers this read
            arrival = self.node.flush_clock.value
            queue.append(Slot(action=partial(self.node.dispatch, self.session, argv, arrival)))
            return
        reply = self.node.dispatch(self.session, argv)
        if type(reply) is Slot:
            if reply.ready:
                reply = reply.reply
            else:
                reply.on_ready = self._request_drain
                self._track_blocking(reply, 1)
                queue.append(reply)
                return
        if queue:
            slot = Slot()
            slot.resolve(reply)
            queue.append(slot)
        else:
            out.append(encode(reply, self.session.protocol))

    def _request_drain(self):
        """A slot resolved: drain once after the whole batch of resolutions (one write per
        connection per Raft entry, not one per reply)."""
        if not self.drain_scheduled:
            self.drain_scheduled = True
            node = self.node
            if not node.pending_drains:  # resolved outside the proposer: still drain soon
                node.loop.call_soon(node.run_drains)
            node.pending_drains.append(self._drain)

    def _drain(self):
        self.drain_scheduled = False
        queue = self.queue
        out = []
        node = self.node
        session = self.session
        while queue:
            slot = queue[0]
            if not slot.ready:
                if slot.action is None:
                    break
                if session.closing:  # QUIT or CLIENT KILL of itself ran: nothing after it runs
                    queue.clear()
                    self.deferred = 0
                    break
                action, slot.action = slot.action, None
                self.deferred -= 1
                result = action()
                if type(result) is Slot and not result.ready:
                    result.on_ready = self._request_drain
                    self._track_blocking(result, 1)
                    queue[0] = result
                    continue
                slot.resolve(result.reply if type(result) is Slot else result)
            queue.popleft()
            self._track_blocking(slot, -1)
            if slot.spec is not None:
                # Latency metrics include replication; SLOWLOG, as in Redis, only counts time
                # spent executing on this node, which for a replicated write is not this wait.
                node.record(slot.spec, slot.started, slot.reply, None, session)
            out.append(encode(slot.reply, session.protocol))
        if out and not self.closed:
            self.transport.write(b"".join(out))
        if not queue and (self.parser.error is not None or session.closing):
            self._close_after_replies()
        else:
            self._maybe_resume_reading()

    def _track_blocking(self, slot, change: int):
        """A client blocked in BLPOP & co runs nothing after it until it is answered (writes
        included, which otherwise go out at once behind pending ones)."""
        if slot.spec is not None and BLOCKING in slot.spec.flags:
            self.blocking += change

    def _close_after_replies(self):
        if self.queue or self.closed:
            self._pause_reading()  # nothing more is read from a connection about to close
            return  # _drain calls back once the last pending reply is written
        if self.parser.error is not None:
            self.transport.write(b"-%s\r\n" % self.parser.error.encode())
            log.info("protocol error from %s: %s", self.session.address, self.parser.error)
        self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            self.transport.close()

    # -- backpressure -------------------------------------------------------------------------
    def _pause_reading(self):
        if not self.reading_paused and not self.closed:
            self.reading_paused = True
            self.transport.pause_reading()

    def _maybe_resume_reading(self):
        if (self.reading_paused and not self.writing_paused and not self.closed
                and len(self.queue) <= RESUME_AT_PENDING):
            self.reading_paused = False
            self.transport.resume_reading()


def _is_write(argv) -> bool:
    spec = lookup(argv[0])
    return spec is not None and spec.is_write


def _address(info) -> str:
    if isinstance(info, tuple) and len(info) >= 2:
        return "%s:%d" % (info[0], info[1])
    return str(info or "")
