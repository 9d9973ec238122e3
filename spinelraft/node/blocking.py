"""Blocked clients: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP, and XREAD /
XREADGROUP with BLOCK.

The wait happens here, in the node; the state machine only ever sees ordinary entries.

  1. try: the command is proposed as it is (XREAD, a read, is served locally). Applied, it is its
     non-blocking form (statemachine/commands/blocking.py): data or an error is the reply; the
     null array (nil for BLMOVE) means nothing was there, and the client waits. A client that
     arrives while others wait on one of its keys makes this attempt under WATCH of those keys
     (an EXEC entry), so it cannot take what a write just brought for them: in Redis that write
     serves them before any later command runs.
  2. wait: the client is queued on each of its keys (per db; XREADGROUP per consumer group too),
     in arrival order. The Raft group calls `entry_applied` after every entry applied on this
     node (leader or follower); while clients wait, the keys each entry wrote are handed to the
     loop (`keys_written`).
  3. retry: when a key with waiters is written and holds data of the right type, the first
     waiter of that key (FIFO, as Redis) proposes its command again, restricted to that key. One
     retry per key is in flight at a time; whoever gets data is answered and leaves every queue,
     and the next waiter gets its turn while the key still has data.

A write that merely found nothing (a retry, or any blocking command's "nothing") does not wake
anyone, so waiters never wake each other in a loop: every retry follows a real write, or a
retry that got data.

Timeouts are timers on the loop; a client whose try or retry is in flight when its time runs
out (or when CLIENT UNBLOCK arrives) is answered once that entry is applied: if it popped
something, that is the reply (an element is never dropped), otherwise the timeout reply.
A connection that closes leaves every queue at once; an element popped by a retry that was
already in flight for it is lost with the connection, as in Redis for a reply never read.
A retry that fails at the Raft level (no leader yet) is tried again after RETRY_BACKOFF_S;
one whose outcome is unknown (the leader changed before the commit) is reported to the client.
Waiting itself survives leader changes: only applied entries wake clients, on any node.
"""
import logging
import time
from collections import deque
from functools import partial

from spinelraft import errors
from spinelraft.command_table import lookup
from spinelraft.node.session import Slot
from spinelraft.replies import NULL_ARRAY, ErrorReply
from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.commands.blocking import parse_timeout_ms
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC, decode_entry

log = logging.getLogger(__name__)

RETRY_BACKOFF_S = 0.2
FOREVER_MS = 1 << 40  # ~35 years: longer timeouts are waited for without a timer
UNBLOCKED_BY_CLIENT = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
GROUP_GONE = "NOGROUP the consumer group this client was blocked on no longer exists"
STREAM_GONE = "UNBLOCKED the stream key no longer exists"
TRYING, WAITING, RETRYING = "trying", "waiting", "retrying"
DATA, NOTHING, LATER, FAILED = "data", "nothing", "later", "failed"


# -- what each blocking command waits for ---------------------------------------------------------
class BlockingCommand:
    """How one blocking command waits: on which keys, for which type, how long, and how it is
    retried for one key. `consumes` is False for XREAD, whose retry is a local read."""

    def __init__(self, kind, keys, timeout, retry, consumes=True, channel=None):
        self.kind = kind  # the TYPE that makes a key worth a retry: list, zset or stream
        self.keys = keys  # argv -> the keys it waits on
        self.timeout = timeout  # argv -> milliseconds (0: forever), None: it does not block
        self.retry = retry  # (argv, key) -> the argv proposed again for that key
        self.consumes = consumes
        # argv -> what its waiters compete for besides the key (XREADGROUP: the group; the
        # consumers of different groups do not take anything from each other)
        self.channel = channel or (lambda argv: None)


def _seconds_timeout(position):
    def timeout(argv):
        try:
            return parse_timeout_ms(argv[position])
        except errors.CommandError:
            return None  # refused: the state machine answers the error

    return timeout


def _numkeys_keys(argv):
    count = to_int(argv[2]) or 0
    return list(argv[3:3 + count])


def _numkeys_retry(argv, key):
    count = to_int(argv[2])
    return (argv[0], argv[1], b"1", key) + tuple(argv[3 + count:])


def _stream_read_layout(argv):
    """(index of STREAMS, BLOCK milliseconds or None) of an XREAD/XREADGROUP argv."""
    position, block = 1, None
    while position < len(argv):
        word = argv[position].upper()
        if word == b"STREAMS":
            return position, block
        if word == b"BLOCK" and position + 1 < len(argv):
            block = to_int(argv[position + 1])
            position += 2
        elif word == b"COUNT":
            position += 2
        elif word == b"GROUP":
            position += 3
        else:
            position += 1
    return None, None


def _stream_timeout(argv):
    streams, block = _stream_read_layout(argv)
    if streams is None or block is None or block < 0:
        return None
    return block


def _stream_keys(argv):
    streams, _ = _stream_read_layout(argv)
    half = (len(argv) - streams - 1) // 2
    return list(argv[streams + 1:streams + 1 + half])


def _group_name(argv):
    position = [part.upper() for part in argv].index(b"GROUP")
    return argv[position + 1]


def _stream_retry(argv, key):
    """The same read for one stream: its ID is the first one given for that key."""
    streams, _ = _stream_read_layout(argv)
    keys = argv[streams + 1:]
    half = len(keys) // 2
    stream_id = keys[half + list(keys[:half]).index(key)]
    return tuple(argv[:streams + 1]) + (key, stream_id)


def _single_key_retry(argv, key):
    return (argv[0], key, argv[-1])


def _same_retry(argv, key):
    return tuple(argv)


def _first_keys(argv):
    return list(argv[1:-1])


def _source_key(argv):
    return [argv[1]]


COMMANDS = {
    "blpop": BlockingCommand("list", _first_keys, _seconds_timeout(-1), _single_key_retry),
    "brpop": BlockingCommand("list", _first_keys, _seconds_timeout(-1), _single_key_retry),
    "blmove": BlockingCommand("list", _source_key, _seconds_timeout(5), _same_retry),
    "brpoplpush": BlockingCommand("list", _source_key, _seconds_timeout(3), _same_retry),
    "blmpop": BlockingCommand("list", _numkeys_keys, _seconds_timeout(1), _numkeys_retry),
    "bzpopmin": BlockingCommand("zset", _first_keys, _seconds_timeout(-1), _single_key_retry),
    "bzpopmax": BlockingCommand("zset", _first_keys, _seconds_timeout(-1), _single_key_retry),
    "bzmpop": BlockingCommand("zset", _numkeys_keys, _seconds_timeout(1), _numkeys_retry),
    "xread": BlockingCommand("stream", _stream_keys, _stream_timeout, _stream_retry,
                             consumes=False),
    "xreadgroup": BlockingCommand("stream", _stream_keys, _stream_timeout, _stream_retry,
                                  channel=_group_name),
}


def _is_nothing(reply) -> bool:
    return reply is None or reply is NULL_ARRAY


# -- which keys an applied entry wrote -----------------------------------------------------------
def written_keys(blob: bytes, replies) -> list:
    """(db, key) for every key an applied entry may have given data to: the keys of each write
    command that did not fail, except blocking commands that found nothing."""
    _, _, _, ops, _ = decode_entry(blob)
    written = []
    for op, reply in zip(ops, replies):
        if op[0] == OP_COMMAND:
            _command_keys(op[1], op[2], reply, written)
        elif op[0] == OP_EXEC and type(reply) is list:
            db = op[1]
            for argv, command_reply in zip(op[3], reply):
                if argv[0].lower() == b"select" and type(command_reply) is not ErrorReply:
                    db = int(argv[1])
                    continue
                _command_keys(db, argv, command_reply, written)
    return written


def _command_keys(db: int, argv, reply, written: list):
    spec = lookup(argv[0])
    if spec is None or not spec.is_write or type(reply) is ErrorReply:
        return
    if spec.name in COMMANDS and _is_nothing(reply):
        return
    for key in spec.keys(argv):
        written.append((db, key))
    other_db = _destination_db(spec.name, argv, reply)
    if other_db is not None:
        written.append((other_db, argv[1] if spec.name == "move" else argv[2]))


def _destination_db(name: str, argv, reply):
    """MOVE key db and COPY src dst DB db write a key in another db."""
    if reply != 1:
        return None
    if name == "move":
        return to_int(argv[2])
    if name == "copy":
        options = [part.upper() for part in argv[3:]]
        if b"DB" in options:
            position = options.index(b"DB") + 4
            return to_int(argv[position]) if position < len(argv) else None
    return None


# -- waiting clients ------------------------------------------------------------------------------
class BlockedClient:
    __slots__ = ("session", "db", "spec", "command", "argv", "keys", "channel", "slot", "state",
                 "deadline", "timer", "expired_reply", "gone", "busy_since", "busy_s", "shard")

    def __init__(self, session, spec, command, argv, slot, shard):
        self.session = session
        self.shard = shard  # the Shard its keys live in (one: several would be -CROSSSLOT)
        self.db = session.db
        self.spec = spec
        self.command = command
        self.argv = argv
        self.keys = list(dict.fromkeys(command.keys(argv)))  # without duplicates, in order
        self.channel = command.channel(argv)
        self.slot = slot
        self.state = TRYING
        self.deadline = None  # loop time, None: forever
        self.timer = None
        self.expired_reply = None  # set when time ran out (or CLIENT UNBLOCK) while busy
        self.gone = False  # the connection closed
        self.busy_since = 0.0
        self.busy_s = 0.0  # time spent executing (try and retries), for the command stats


class KeyQueue:
    """The clients waiting on one key of one db (for one consumer group), in arrival order."""

    __slots__ = ("db", "key", "channel", "waiters", "in_flight", "signaled")

    def __init__(self, db: int, key: bytes, channel):
        self.db = db
        self.key = key
        self.channel = channel
        self.waiters = deque()
        self.in_flight = None  # the client whose retry for this key is in flight
        self.signaled = False  # written since the last retry started


class BlockingManager:
    def __init__(self, node):
        self.node = node
        self.loop = node.loop
        self.clients = {}  # session id -> BlockedClient (read by the Raft thread: len only)
        self.queues = {}  # (db, key, channel) -> KeyQueue
        self.channels = {}  # (db, key) -> the channels with a queue on that key

    # -- entry point from the dispatcher ----------------------------------------------------------
    def dispatch(self, session, spec, argv, started, shard):
        """A Slot for a blocking command outside MULTI, or None when it does not block
        (XREAD without BLOCK, arguments the state machine will refuse, or a session that is
        not a client connection, such as a gRPC call, which gets the non-blocking form)."""
        command = COMMANDS.get(spec.name)
        if command is None or session.id in self.clients or not self._connected(session):
            return None
        timeout_ms = command.timeout(argv)
        if timeout_ms is None:
            return None
        slot = Slot(spec=spec, started=started, argv=argv)
        client = BlockedClient(session, spec, command, argv, slot, shard)
        if timeout_ms and timeout_ms < FOREVER_MS:
            client.deadline = self.loop.time() + timeout_ms / 1000.0
        if command.consumes:
            watches = self._ahead_of(client)
            self._enqueue(client)  # in line from now on; woken by writes from now on
            if watches:
                op = (OP_EXEC, client.db, watches, [argv])
                self._propose(client, op, partial(self._tried_behind, client))
            else:
                self._propose(client, (OP_COMMAND, client.db, argv), partial(self._tried, client))
        elif self.node.needs_read_barrier(session, shard):
            shard.proposer.barrier(partial(self._first_read, client))
        else:
            self._first_read(client, None)
        return slot

    def _connected(self, session) -> bool:
        return self.node.sessions.get(session.id) is session

    def _ahead_of(self, client) -> list:
        """WATCHes for the first attempt of a client arriving behind waiting clients: it must
        not take what a write just brought for them (their retries follow that write in the
        log). Each key with consuming waiters is watched at its current version, or at an
        impossible one when it already holds data (someone ahead is about to be served)."""
        node = self.node
        watches = []
        for queue in self._queues_of(client):
            if not any(waiter.command.consumes for waiter in queue.waiters):
                continue
            key = queue.key
            if queue.in_flight is not None or queue.signaled or (
                    client.channel is None and self._key_type(queue) == client.command.kind):
                watches.append((client.db, key, -1))
            else:
                watches.append((client.db, key, node.key_version(client.db, key)))
        return watches

    def _propose(self, client, op, sink):
        client.busy_since = time.perf_counter()
        argv = op[2] if op[0] == OP_COMMAND else op[3][0]
        size = sum(map(len, argv)) + 16
        if not client.shard.proposer.submit(op, sink, size):
            sink(ErrorReply(errors.OOM_BACKLOG))

    def _tried_behind(self, client, reply):
        """The first attempt of a client behind others, made under WATCH: a watched key
        changed (the entry was not run), or the command's own reply."""
        if reply is not NULL_ARRAY:
            self._tried(client, reply[0] if type(reply) is list else reply)
            return
        self._account(client)
        if client.gone:
            return
        self._start_waiting(client)
        if client.state == WAITING:
            for queue in self._queues_of(client):  # the write it stepped back for, and more
                queue.signaled = True
                self._pump(queue)

    def _tried(self, client, reply):
        """The first proposal of a consuming command was applied."""
        self._account(client)
        if client.gone:
            return
        if not _is_nothing(reply):
            self._finish(client, reply)
            return
        self._start_waiting(client)
        if client.state == WAITING:
            for queue in self._queues_of(client):
                self._pump(queue)

    def _first_read(self, client, barrier_error):
        """XREAD BLOCK: read now ($ meaning the last ID at this moment), wait on nothing."""
        if barrier_error is not None or not self._connected(client.session):
            client.slot.resolve(barrier_error)
            return
        shard = client.shard
        with shard.group.lock:
            client.argv = self._resolve_last_ids(shard, client.db, client.argv)
            reply = shard.group.machine.read(client.db, client.argv, shard.proposer.now_ms(), 0)
        if not _is_nothing(reply):
            client.slot.resolve(reply)
            return
        self._enqueue(client)
        self._start_waiting(client)
        if client.state == WAITING:
            for queue in self._queues_of(client):  # entries applied since the read
                self._serve_readers(queue)

    def _resolve_last_ids(self, shard, db: int, argv):
        """`$` becomes the stream's last generated ID, 0-0 for a missing stream (the caller
        holds the group lock)."""
        streams, _ = _stream_read_layout(argv)
        half = (len(argv) - streams - 1) // 2
        resolved = list(argv)
        for index in range(streams + 1 + half, len(argv)):
            if argv[index] == b"$":
                resolved[index] = self._last_id(shard, db, argv[index - half])
        return tuple(resolved)

    @staticmethod
    def _last_id(shard, db: int, key: bytes) -> bytes:
        info = shard.group.machine.read(db, (b"XINFO", b"STREAM", key), shard.proposer.now_ms(), 0)
        if type(info) is ErrorReply:
            return b"0-0"
        return dict(info.items)[b"last-generated-id"]

    # -- waiting ----------------------------------------------------------------------------------
    def _enqueue(self, client):
        self.clients[client.session.id] = client
        for key in client.keys:
            queue = self.queues.get((client.db, key, client.channel))
            if queue is None:
                queue = KeyQueue(client.db, key, client.channel)
                self.queues[(client.db, key, client.channel)] = queue
                self.channels.setdefault((client.db, key), []).append(client.channel)
            queue.waiters.append(client)

    def _drop_if_idle(self, queue):
        """Forget a queue nobody waits in and no retry uses."""
        if queue.waiters or queue.in_flight is not None:
            return
        if self.queues.get((queue.db, queue.key, queue.channel)) is not queue:
            return
        del self.queues[(queue.db, queue.key, queue.channel)]
        channels = self.channels[(queue.db, queue.key)]
        channels.remove(queue.channel)
        if not channels:
            del self.channels[(queue.db, queue.key)]

    def _start_waiting(self, client):
        """Nothing was there: wait until the deadline (answered at once if it has passed)."""
        if client.deadline is not None:
            remaining = client.deadline - self.loop.time()
            if remaining <= 0:
                self._finish(client, NULL_ARRAY)
                return
            client.timer = self.loop.call_later(remaining, self._timed_out, client)
        client.state = WAITING
        client.session.blocked = True

    def _timed_out(self, client):
        client.timer = None
        self._end_wait(client, NULL_ARRAY)

    def _end_wait(self, client, reply):
        """Timeout or CLIENT UNBLOCK: answered now, or when its entry in flight is applied."""
        if client.state == WAITING:
            self._finish(client, reply)
        else:
            client.expired_reply = reply

    def _queues_of(self, client) -> list:
        queues = (self.queues.get((client.db, key, client.channel)) for key in client.keys)
        return [queue for queue in queues if queue is not None]

    def _leave(self, client) -> list:
        """Remove the client from every queue; returns the queues it was in."""
        self.clients.pop(client.session.id, None)
        client.session.blocked = False
        if client.timer is not None:
            client.timer.cancel()
            client.timer = None
        left = self._queues_of(client)
        for queue in left:
            queue.waiters.remove(client)
            self._drop_if_idle(queue)
        return left

    def _finish(self, client, reply):
        left = self._leave(client)
        client.slot.started = time.perf_counter() - client.busy_s  # stats: not the wait
        client.slot.resolve(reply)
        for queue in left:
            self._pump(queue)

    def _account(self, client):
        client.busy_s += time.perf_counter() - client.busy_since

    # -- waking up --------------------------------------------------------------------------------
    def entry_applied(self, blob: bytes, replies):
        """Called by the Raft group after each applied entry (its thread, or the loop for a
        one-node group). Only while clients wait does it look at the entry."""
        if not self.clients:
            return
        try:
            keys = written_keys(blob, replies)
        except Exception:  # never let a wake-up problem disturb the apply path
            log.exception("could not read the keys written by an applied entry")
            return
        if keys:
            self.loop.call_soon_threadsafe(self.keys_written, keys)

    def keys_written(self, keys):
        for db, key in keys:
            for channel in list(self.channels.get((db, key), ())):
                queue = self.queues.get((db, key, channel))
                if queue is not None:
                    queue.signaled = True
                    self._pump(queue)

    def _pump(self, queue):
        """Serve XREAD waiters, then, when the key was written and no retry for it is in flight,
        retry the first waiter whose type the key now holds."""
        if not queue.waiters:
            return
        self._serve_readers(queue)
        if queue.in_flight is not None or not queue.signaled:
            return
        queue.signaled = False
        key_type = self._key_type(queue)
        if key_type != "stream":
            self._unblock_group_readers(queue)
        head = next((client for client in queue.waiters
                     if client.command.consumes and client.command.kind == key_type), None)
        if head is None:
            return
        if head.state != WAITING:  # its try, or its retry on another key, is in flight
            queue.signaled = True  # looked at again when that completes
            return
        self._retry(head, queue)

    def _serve_readers(self, queue):
        for client in [c for c in queue.waiters if not c.command.consumes and c.state == WAITING]:
            reply = self.node.read(client.db, client.command.retry(client.argv, queue.key))
            if not _is_nothing(reply) and type(reply) is not ErrorReply:
                self._finish(client, reply)

    def _unblock_group_readers(self, queue):
        """XREADGROUP waiters of a stream that was deleted or replaced (Redis 7.0.15)."""
        for client in [c for c in queue.waiters if c.spec.name == "xreadgroup"]:
            if client.state == WAITING:
                self._finish(client, ErrorReply(STREAM_GONE))

    def _key_type(self, queue) -> str:
        reply = self.node.read(queue.db, (b"TYPE", queue.key))
        return getattr(reply, "text", "")

    def _retry(self, client, queue):
        client.state = RETRYING
        queue.in_flight = client
        argv = client.command.retry(client.argv, queue.key)
        self._propose(client, (OP_COMMAND, client.db, argv), partial(self._retried, client, queue))

    def _retried(self, client, queue, reply):
        queue.in_flight = None
        self._drop_if_idle(queue)  # its last waiter may have left meanwhile
        self._account(client)
        outcome, reply = self._classify(client, queue, reply)
        if outcome in (DATA, FAILED):
            queue.signaled = True  # the next waiter's turn
        elif outcome == LATER:  # not applied: the key is looked at again after a pause
            self.loop.call_later(RETRY_BACKOFF_S, self.keys_written, [(queue.db, queue.key)])
        if client.gone:
            self._pump(queue)
            return
        client.state = WAITING
        if outcome in (DATA, FAILED):
            self._finish(client, reply)
            return
        if client.expired_reply is not None:
            self._finish(client, client.expired_reply)
            return
        for other in self._queues_of(client):
            self._pump(other)

    def _classify(self, client, queue, reply):
        """(outcome, reply to send) of a retry."""
        if _is_nothing(reply):
            return NOTHING, reply
        if type(reply) is not ErrorReply:
            return DATA, reply
        message = reply.message
        if message in (errors.NO_LEADER, errors.OOM_BACKLOG):
            return LATER, reply  # not applied: tried again after a pause
        name = client.spec.name
        if message.startswith("WRONGTYPE"):
            if name in ("blmove", "brpoplpush") and self._key_type(queue) == "list":
                return FAILED, reply  # the destination holds another type
            if name == "xreadgroup":
                return FAILED, ErrorReply(STREAM_GONE)
            return NOTHING, reply  # Redis only serves a key of the awaited type
        if message.startswith("NOGROUP"):
            gone = GROUP_GONE if self._key_type(queue) == "stream" else STREAM_GONE
            return FAILED, ErrorReply(gone)
        return FAILED, reply

    # -- connections, CLIENT UNBLOCK, INFO --------------------------------------------------------
    def forget(self, session):
        """The connection closed: it leaves every queue (an entry in flight is ignored)."""
        client = self.clients.get(session.id)
        if client is None:
            return
        client.gone = True
        for queue in self._leave(client):
            self._pump(queue)

    def unblock(self, client_id: int, as_error: bool) -> int:
        """CLIENT UNBLOCK: 1 if that client was blocked (it gets the timeout reply, or the
        UNBLOCKED error), 0 otherwise."""
        client = self.clients.get(client_id)
        if client is None or client.state == TRYING:
            return 0
        self._end_wait(client, ErrorReply(UNBLOCKED_BY_CLIENT) if as_error else NULL_ARRAY)
        return 1

    def blocked_count(self) -> int:
        return sum(1 for client in self.clients.values() if client.state != TRYING)
