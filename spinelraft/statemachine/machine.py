"""The deterministic state machine: apply(entry) -> replies, and local reads.

An entry is produced by the proposer (raft/) and carries everything non-deterministic:
the leader's time in ms, a random seed, and the operations. Applying the same entries in the
same order gives the same state on every replica, byte for byte (see snapshot.py).

Nothing here reads the clock, draws random numbers from the process, touches the network or
starts threads.
"""
import logging
import marshal

from spinelraft import errors
from spinelraft.command_table import lookup
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY, ErrorReply
from spinelraft.statemachine.context import Context
from spinelraft.statemachine.database import Database

log = logging.getLogger(__name__)

ENTRY_FORMAT = 1
DATABASES = 16

# Operation kinds inside an entry.
OP_COMMAND = 0  # (OP_COMMAND, db, argv)
OP_EXEC = 1  # (OP_EXEC, db, watches [(db, key, version)], [argv, ...])
OP_EXPIRE = 2  # (OP_EXPIRE, 0, max_keys_per_db)
OP_NOOP = 3  # (OP_NOOP, 0, None): a read barrier
OP_MEMBER = 4  # (OP_MEMBER, 0, (b"add", id, host, port, raft_port) | (b"remove", id)): the member table

EXPIRE_CYCLE_MAX_KEYS = 200


RECENT_ENTRY_IDS = 100_000  # how many entry ids are remembered to refuse a replayed proposal
DUPLICATE_ENTRY = "ERR duplicate request: this entry was already applied"


def encode_entry(now_ms: int, seed: int, ops: list, entry_id: bytes = None) -> bytes:
    """The log entry format: marshal version 2 (no back-references, so bytes are canonical).

    entry_id, when given, is unique per proposal (node, boot, counter): an entry proposed twice
    (a retry across a leader change) is applied once and the copy is refused.
    """
    return marshal.dumps((ENTRY_FORMAT, now_ms, seed, ops, entry_id), 2)


def op_seed(entry_seed: int, position: int) -> int:
    """The random seed of the operation at `position` in an entry: an entry [a, b] applies
    exactly like the entries [a] and [b] with the same time and these seeds."""
    return (entry_seed + position * 0x9E3779B97F4A7C15) & ((1 << 64) - 1)


def decode_entry(blob: bytes):
    entry = marshal.loads(blob)
    assert entry[0] == ENTRY_FORMAT, "unknown log entry format %r" % (entry[0],)
    return entry


class StateMachine:
    def __init__(self, databases: int = DATABASES):
        assert databases >= 1
        self.dbs = [Database() for _ in range(databases)]
        self.counter = 0  # counts applied writes; the source of WATCH versions
        self.time_ms = 0  # the latest entry time applied; time never runs backwards here
        self.recent_entry_ids = {}  # insertion ordered: the oldest is evicted first
        self.members = {}  # node id -> (host, RESP port, Raft port), replicated with the log
        self.op_seconds = []  # how long each operation of the last entry took (apply_entry clock)

    # -- applying the log ----------------------------------------------------------------------
    def apply_entry(self, blob: bytes, clock=None) -> list:
        """Apply one log entry; returns one reply per operation, in order.

        `clock`, when given by the caller, is read around each operation and the durations are
        left in `op_seconds` (for SLOWLOG); they never influence the state.
        """
        _, now_ms, seed, ops, entry_id = decode_entry(blob)
        if entry_id is not None:
            if entry_id in self.recent_entry_ids:
                return [ErrorReply(DUPLICATE_ENTRY)] * len(ops)
            self.recent_entry_ids[entry_id] = None
            if len(self.recent_entry_ids) > RECENT_ENTRY_IDS:
                del self.recent_entry_ids[next(iter(self.recent_entry_ids))]
        if now_ms > self.time_ms:
            self.time_ms = now_ms
        now_ms = self.time_ms
        replies = []
        if clock is None:
            for position, op in enumerate(ops):
                replies.append(self._apply_op(op, now_ms, op_seed(seed, position)))
            return replies
        durations = self.op_seconds = []
        for position, op in enumerate(ops):
            started = clock()
            replies.append(self._apply_op(op, now_ms, op_seed(seed, position)))
            durations.append(clock() - started)
        return replies

    def _apply_op(self, op, now_ms: int, seed: int):
        kind = op[0]
        if kind == OP_COMMAND:
            return self.execute(Context(self, op[1], now_ms, seed, True), op[2])
        if kind == OP_EXEC:
            return self._apply_exec(op[1], op[2], op[3], now_ms, seed)
        if kind == OP_EXPIRE:
            return self._expire_cycle(now_ms, op[2])
        if kind == OP_NOOP:
            return None
        if kind == OP_MEMBER:
            return self._apply_member(op[2])
        raise AssertionError("unknown operation kind %r" % (kind,))

    def _apply_exec(self, db_index: int, watches, commands, now_ms: int, seed: int):
        for watch_db, key, version in watches:
            db = self.dbs[watch_db]
            if db.version(key) != version or db.is_expired(key, now_ms) and key in db.data:
                return NULL_ARRAY
        context = Context(self, db_index, now_ms, seed, True)
        replies = []
        for argv in commands:
            name = argv[0].lower()
            if name == b"select":  # SELECT inside MULTI changes the db for what follows
                reply, db_index = self._select_in_exec(argv, db_index)
                context = Context(self, db_index, now_ms, seed, True)
                replies.append(reply)
                continue
            context.seed = (context.seed + 1) & ((1 << 64) - 1)
            context._rng = None
            replies.append(self.execute(context, argv))
        return replies

    def _select_in_exec(self, argv, db_index):
        from spinelraft.replies import OK

        try:
            index = int(argv[1])
        except (ValueError, IndexError):
            return ErrorReply(errors.NOT_INTEGER), db_index
        if not 0 <= index < len(self.dbs):
            return ErrorReply(errors.DB_INDEX_OUT_OF_RANGE), db_index
        return OK, index

    def _apply_member(self, change):
        """Cluster membership metadata (who serves RESP where); Raft membership itself is
        pysyncobj's, changed by the node once this entry is applied."""
        action, node_id = change[0], change[1]
        if action == b"add":
            self.members[node_id] = tuple(change[2:5])
        else:
            self.members.pop(node_id, None)
        return len(self.members)

    def _expire_cycle(self, now_ms: int, max_keys: int) -> int:
        removed = 0
        for db in self.dbs:
            for key in db.expired_keys(now_ms, max_keys):
                db.delete(key)
                self.touch(db, key)
                removed += 1
        return removed

    # -- one command ---------------------------------------------------------------------------
    def execute(self, context: Context, argv):
        """Run one data command; errors become error replies (state untouched, by contract)."""
        spec = lookup(argv[0])
        if spec is None or spec.kind != "data":
            return ErrorReply(errors.unknown_command(argv[0], argv[1:]))
        if not spec.check_arity(len(argv)):
            return ErrorReply(errors.wrong_arity(spec.name))
        tracked = context.writing and spec.is_write
        if tracked:
            db = context.db
            keys = spec.keys(argv) if spec.keys_fn or spec.last_key != 1 else argv[1:2]
            existed = [key in db.data for key in keys]
        try:
            reply = spec.handler(context, argv[1:])
        except CommandError as error:
            return ErrorReply(error.message)
        except Exception as error:  # a bug: same code, same state -> same reply everywhere
            log.exception("command %r failed inside the state machine", argv[0])
            return ErrorReply("ERR internal error in '%s': %s" % (spec.name, error))
        if tracked and type(reply) is not ErrorReply:
            # A key that exists neither before nor after the write was not modified (LPOP or
            # DEL of a missing key, an empty BLPOP retry): WATCH must not see a change there.
            data = db.data
            for key, was_there in zip(keys, existed):
                if was_there or key in data:
                    self.touch(db, key)
        return reply

    def touch(self, db: Database, key: bytes):
        self.counter += 1
        db.bump_version(key, self.counter)

    def read(self, db_index: int, argv, now_ms: int, seed: int):
        """Serve a read-only command from local state. Never changes anything."""
        return self.execute(Context(self, db_index, now_ms, seed, False), argv)

    # -- introspection used by the node ------------------------------------------------------------
    def key_version(self, db_index: int, key: bytes) -> int:
        return self.dbs[db_index].version(key)

    def keyspace(self, now_ms: int) -> list:
        """(db index, keys, keys with expiry) for every non-empty db (INFO keyspace)."""
        rows = []
        for index, db in enumerate(self.dbs):
            if db.data:
                rows.append((index, len(db.data), len(db.expires)))
        return rows
