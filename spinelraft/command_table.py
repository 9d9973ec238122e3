"""The one command table.

Each command is registered once with @command(...). Everything else derives from the record:
COMMAND / COMMAND INFO / COMMAND DOCS, ACL categories, key extraction (slot routing, CROSSSLOT),
arity checks, and the choice between proposing a write through Raft and serving a read locally.

Handler kinds:
  "data"        runs inside the state machine: handler(ctx, args) -> reply. Writes are applied
                from the Raft log on every replica; reads run on the serving node.
  "server"      runs in the node process: handler(session, args) -> reply (INFO, CONFIG, ...).
This module is a leaf: it imports nothing from the project.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

# Flags as Redis names them (COMMAND INFO prints them).
WRITE = "write"
READONLY = "readonly"
FAST = "fast"
ADMIN = "admin"
DENYOOM = "denyoom"
NOSCRIPT = "noscript"
LOADING = "loading"
STALE = "stale"
PUBSUB = "pubsub"
BLOCKING = "blocking"
RANDOM = "random"
NOAUTH = "no_auth"
NO_MULTI = "no_multi"
ALLOW_BUSY = "allow_busy"
SKIP_SLOWLOG = "skip_slowlog"

# Command group (Redis's "group" in COMMAND DOCS) -> implicit ACL category.
GROUP_CATEGORY = {
    "string": "@string",
    "bitmap": "@bitmap",
    "list": "@list",
    "hash": "@hash",
    "set": "@set",
    "sorted-set": "@sortedset",
    "generic": "@keyspace",
    "connection": "@connection",
    "server": None,
    "transactions": "@transaction",
    "cluster": None,
    "scripting": "@scripting",
    "pubsub": "@pubsub",
    "geo": "@geo",
    "hyperloglog": "@hyperloglog",
    "stream": "@stream",
}


@dataclass(slots=True)
class CommandSpec:
    name: str  # lower case, as COMMAND prints it
    arity: int  # Redis convention: >0 exact argc, <0 minimum argc (command name included)
    flags: frozenset
    first_key: int
    last_key: int
    key_step: int
    handler: Callable
    kind: str  # "data" or "server"
    group: str
    summary: str
    keys_fn: Optional[Callable] = None  # argv -> list of key indexes, for numkeys-style commands
    extra_categories: tuple = ()
    acl_categories: tuple = field(default_factory=tuple)
    is_write: bool = False
    # Routing across shards: route_keys_fn(argv) -> the keys that pick the shard, when they are
    # not the command's own keys (SPINELRAFT.TXN); fan_out names how the replies of a keyless
    # command run on every shard are combined ("sum", "concat", "all-ok", "scan", "random",
    # "range-scan"); keyless commands without it run on shard 0.
    route_keys_fn: Optional[Callable] = None
    fan_out: Optional[str] = None

    def routing_keys(self, argv) -> list:
        if self.route_keys_fn is not None:
            return self.route_keys_fn(argv)
        return [argv[i] for i in self.key_indexes(argv)]

    def check_arity(self, argc: int) -> bool:
        if self.arity >= 0:
            return argc == self.arity
        return argc >= -self.arity

    def key_indexes(self, argv) -> list:
        """Positions of key arguments in argv (argv[0] is the command name)."""
        if self.keys_fn is not None:
            return self.keys_fn(argv)
        if self.last_key == 1 and self.first_key == 1:  # most commands: one key at argv[1]
            return [1] if len(argv) > 1 else []
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        last = min(last, len(argv) - 1)
        return list(range(self.first_key, last + 1, self.key_step))

    def keys(self, argv) -> list:
        return [argv[i] for i in self.key_indexes(argv)]


COMMANDS: dict = {}  # bytes (lower-case name) -> CommandSpec


def _acl_categories(flags, group, extra):
    categories = []
    if WRITE in flags:
        categories.append("@write")
    if READONLY in flags:
        categories.append("@read")
    if ADMIN in flags:
        categories += ["@admin", "@dangerous"]
    if PUBSUB in flags:
        categories.append("@pubsub")
    if BLOCKING in flags:
        categories.append("@blocking")
    categories.append("@fast" if FAST in flags else "@slow")
    implicit = GROUP_CATEGORY.get(group)
    if implicit and implicit not in categories:
        categories.append(implicit)
    for category in extra:
        if category not in categories:
            categories.append(category)
    return tuple(categories)


def command(
    name: str,
    arity: int,
    flags: str = "",
    keys: tuple = (0, 0, 0),
    keys_fn: Optional[Callable] = None,
    group: str = "generic",
    summary: str = "",
    kind: str = "data",
    categories: tuple = (),
    route_keys_fn: Optional[Callable] = None,
    fan_out: Optional[str] = None,
):
    """Register a command. `flags` is a space separated list of Redis flag names."""
    flag_set = frozenset(flags.split())
    first_key, last_key, key_step = keys

    def register(handler):
        spec = CommandSpec(
            name=name.lower(),
            arity=arity,
            flags=flag_set,
            first_key=first_key,
            last_key=last_key,
            key_step=key_step,
            handler=handler,
            kind=kind,
            group=group,
            summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
            keys_fn=keys_fn,
            extra_categories=tuple(categories),
            acl_categories=_acl_categories(flag_set, group, categories),
            is_write=WRITE in flag_set,
            route_keys_fn=route_keys_fn,
            fan_out=fan_out,
        )
        key = name.lower().encode()
        assert key not in COMMANDS, "command registered twice: %s" % name
        COMMANDS[key] = spec
        return handler

    return register


_SPELLINGS: dict = {}  # a client's spelling of a name (b"SET", b"Set") -> spec, learned on use
_SPELLINGS_MAX = 4096


def lookup(name: bytes) -> Optional[CommandSpec]:
    spec = _SPELLINGS.get(name)
    if spec is None:
        spec = COMMANDS.get(name.lower())
        if spec is not None and len(_SPELLINGS) < _SPELLINGS_MAX:
            _SPELLINGS[name] = spec
    return spec


def numkeys_at(position: int, first: int = None, step: int = 1):
    """keys_fn for commands like ZUNIONSTORE dest numkeys k1 k2 / LMPOP numkeys k1 k2.

    `position` is the argv index of numkeys; keys follow it. Bad numkeys yields no keys
    (the handler reports the error).
    """
    def keys_fn(argv):
        try:
            count = int(argv[position])
        except (ValueError, IndexError):
            return []
        start = position + 1
        if count <= 0 or start + count > len(argv):
            return []
        return list(range(start, start + count * step, step))

    return keys_fn
