"""warden.toml: defaults, loading, validation.

Keys use kebab-case like the server's config. Any problem is a WardenConfigError with one line
of text; the Warden prints it and exits non-zero.
"""
from dataclasses import dataclass, field

from spinelraft.config import LOG_LEVELS, read_toml


class WardenConfigError(Exception):
    pass


@dataclass
class WardenSettings:
    host: str = "127.0.0.1"
    port: int = 26379
    # RESP addresses ("host:port") of cluster nodes to poll; more are discovered from CLUSTER SHARDS
    nodes: list = field(default_factory=list)
    password: str = ""  # the cluster's requirepass (AUTH sent to every node), empty: none
    requirepass: str = ""  # password clients must give the Warden itself (AUTH), empty: none
    poll_interval: float = 0.25  # seconds between two CLUSTER SHARDS polls of one node
    down_after_milliseconds: int = 1000  # a node silent this long is down (refused: at once)
    quorum: int = 0  # reported per master; 0: the majority of the shard's members
    name_prefix: str = "shard-"  # shard i is monitored as "<prefix><i>"
    failover_timeout: int = 10000  # ms to wait for a node to confirm a leadership transfer
    logfile: str = ""
    loglevel: str = "info"
    source: str = field(default="defaults", compare=False)

    def node_addresses(self) -> list:
        """[(host, port)] of the configured nodes (validated by load)."""
        return [_split_address(entry) for entry in self.nodes]


_TYPES = {
    "host": str, "port": int, "nodes": list, "password": str, "requirepass": str,
    "poll-interval": float, "down-after-milliseconds": int, "quorum": int, "name-prefix": str,
    "failover-timeout": int, "logfile": str, "loglevel": str,
}


def load(path: str, overrides: dict = None) -> WardenSettings:
    """Read warden.toml (path may be None: defaults), apply command-line overrides, validate."""
    settings = WardenSettings()
    if path:
        _apply(settings, read_toml(path, WardenConfigError), path)
        settings.source = path
    _apply(settings, {k: v for k, v in (overrides or {}).items() if v is not None}, "command line")
    validate(settings)
    return settings


def _apply(settings: WardenSettings, document: dict, origin: str):
    for key, value in document.items():
        name = key.replace("_", "-")
        kind = _TYPES.get(name)
        if kind is None:
            raise WardenConfigError("unknown setting '%s' in %s (known: %s)" % (key, origin, ", ".join(_TYPES)))
        setattr(settings, name.replace("-", "_"), _coerce(kind, value, key, origin))


def _coerce(kind, value, key, origin):
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str):
        return value
    if kind is list and isinstance(value, list):
        return list(value)
    if kind is list and isinstance(value, str):  # --nodes "a:1,b:2" on the command line
        return [part.strip() for part in value.split(",") if part.strip()]
    raise WardenConfigError("setting '%s' in %s must be %s, got %r"
                            % (key, origin, {list: "a list of \"host:port\" strings"}.get(kind, kind.__name__),
                               value))


def _split_address(entry: str):
    host, _, port = entry.rpartition(":")
    return host.strip("[]"), int(port)


def validate(settings: WardenSettings):
    if not 1 <= settings.port <= 65535:
        raise WardenConfigError("port must be a TCP port (1-65535), got %d" % settings.port)
    if not settings.host:
        raise WardenConfigError("host must not be empty")
    if not settings.nodes:
        raise WardenConfigError("nodes must list at least one cluster node, e.g. nodes = [\"127.0.0.1:7000\"]")
    for entry in settings.nodes:
        if not isinstance(entry, str):
            raise WardenConfigError("nodes entries must be \"host:port\" strings, got %r" % (entry,))
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise WardenConfigError("nodes entry %r is not host:port" % entry)
    if not 0.01 <= settings.poll_interval <= 60:
        raise WardenConfigError("poll-interval must be between 0.01 and 60 seconds, got %s" % settings.poll_interval)
    if not 10 <= settings.down_after_milliseconds <= 3_600_000:
        raise WardenConfigError("down-after-milliseconds must be between 10 and 3600000, got %d"
                                % settings.down_after_milliseconds)
    if settings.quorum < 0:
        raise WardenConfigError("quorum must be >= 1 (or 0 for the majority of each shard), got %d"
                                % settings.quorum)
    if not settings.name_prefix or any(c.isspace() for c in settings.name_prefix):
        raise WardenConfigError("name-prefix must be a non-empty word, got %r" % settings.name_prefix)
    if settings.failover_timeout < 100:
        raise WardenConfigError("failover-timeout must be at least 100 ms, got %d" % settings.failover_timeout)
    if settings.loglevel not in LOG_LEVELS:
        raise WardenConfigError("loglevel must be one of %s, got %r" % ("/".join(LOG_LEVELS), settings.loglevel))
