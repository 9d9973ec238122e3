"""Per-connection state shared by the front ends, and the Slot that carries a pending reply."""
import itertools
import time

_client_ids = itertools.count(1)


class Slot:
    """A reply that is not known yet (a proposed write, or a read queued behind one).

    `action`, when set, is run once everything before the slot in its connection has replied;
    it returns a reply or another Slot to wait for.
    """

    __slots__ = ("reply", "ready", "action", "on_ready", "spec", "started", "argv")

    def __init__(self, action=None, spec=None, started=0.0, argv=None):
        self.reply = None
        self.ready = False
        self.action = action
        self.on_ready = None
        self.spec = spec  # with started and argv: accounted (stats, slowlog) when it replies
        self.started = started
        self.argv = argv

    def resolve(self, reply):
        self.reply = reply
        self.ready = True
        if self.on_ready is not None:
            self.on_ready()


class Session:
    """What a client connection carries between commands."""

    def __init__(self, node, address: str = "", local_address: str = "", kind: str = "resp"):
        self.node = node
        self.id = next(_client_ids)
        self.address = address
        self.local_address = local_address
        self.kind = kind
        self.db = 0
        self.protocol = 2
        self.name = b""
        self.library_name = b""
        self.library_version = b""
        self.authenticated = not node.settings.requirepass
        self.user = "default"
        self.multi = None  # list of queued argv while in MULTI
        self.multi_error = False  # a queued command was refused: EXEC answers EXECABORT
        self.watches = {}  # (db, key) -> version seen at WATCH
        self.readonly = False  # READONLY: allow stale local reads (multi-node)
        self.internal = False  # a peer node proxying commands (RAFT RUN): never redirected
        self.last_shard = 0  # the shard of the connection's last write (WAIT)
        self.proxied_waits = set()  # tasks of blocking commands waiting on another node
        self.blocked = False  # waiting in a blocking command (BLPOP...): CLIENT LIST flag b
        self.created = time.monotonic()
        self.last_active = self.created
        self.last_command = b"NULL"
        self.closing = False
        self.kill = None  # set by the front end: a callable that closes the connection

    def reset(self):
        self.db = 0
        self.protocol = 2
        self.name = b""
        self.authenticated = not self.node.settings.requirepass
        self.multi = None
        self.multi_error = False
        self.watches = {}
        self.readonly = False

    def flags(self) -> str:
        flags = ""
        if self.multi is not None:
            flags += "x"
        if self.blocked:
            flags += "b"
        if self.readonly:
            flags += "r"
        return flags or "N"
