"""Server configuration: defaults, the TOML file, command-line overrides, validation.

Keys use Redis's kebab-case names (CONFIG GET shows the same names). Any problem is reported as
ConfigError with one line of text; spinelraft-server prints it and exits non-zero.
"""
import argparse
import tomllib
from dataclasses import dataclass, field, fields


class ConfigError(Exception):
    pass


FSYNC_POLICIES = ("always", "everysec", "no")
# Shard s of a node listens for Raft traffic on raft-port + s * SHARD_PORT_STRIDE (shard 0 on
# raft-port itself), so nodes numbered with consecutive raft ports never collide.
SHARD_PORT_STRIDE = 1000
MAX_SHARDS = 16
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 7878
    metrics_port: int = 8878  # 0 disables /metrics
    data_dir: str = "./data"
    node_id: str = "node-1"
    raft_port: int = 0  # 0: port + 100
    cluster_secret: str = ""
    # "proxy": any node serves any command (followers forward writes); "redis": followers answer
    # -MOVED slot leader-host:port as Redis Cluster replicas do (reads only after READONLY)
    cluster_mode: str = "proxy"
    # "new": the members bootstrap the cluster, each node replicating the shards the placement
    # gives it; "existing": this node joins a running cluster and replicates nothing until
    # spinelraft-admin add-node / rebalance adds it to shards (etcd's initial-cluster-state)
    cluster_state: str = "new"
    shards: int = 1  # Raft groups; the 16384 slots are split into this many contiguous ranges
    replication_factor: int = 3  # members per shard (all nodes when there are fewer)
    appendfsync: str = "always"
    databases: int = 16
    requirepass: str = ""
    maxclients: int = 10000
    timeout: int = 0
    proto_max_bulk_len: int = 512 * 1024 * 1024
    slowlog_log_slower_than: int = 10000  # microseconds; negative disables
    slowlog_max_len: int = 128
    snapshot_min_entries: int = 100_000
    snapshot_min_time: int = 3600
    proposal_timeout: int = 10  # seconds before an uncommitted write is answered "outcome unknown"
    loglevel: str = "info"
    logfile: str = ""
    unsafe_stale_reads: bool = False  # test-only: skip the read barrier (jepsen planted bug)
    enable_debug_command: bool = False  # test-only: DEBUG SET-CLOCK-SKEW (jepsen clock nemesis)
    grpc_port: int = 50051  # gRPC API port; 0 disables it
    sentinel_port: int = 0  # a built-in Warden (Sentinel API, docs/warden.md) on this port; 0: none
    tls_cert_file: str = ""  # PEM certificate (chain) for the gRPC port; with tls-key-file
    tls_key_file: str = ""  # PEM private key for the gRPC port
    watch_history: int = 100_000  # changes kept in memory for gRPC Watch (resume window)
    # Record changes for Watch from start-up (journal replay included) rather than from the first
    # Watch/Status call: positions then survive restarts, at ~1/3 more CPU per applied write.
    watch_from_start: bool = False
    members: list = field(default_factory=list)  # [Member]; empty: a cluster of this node alone
    source: str = field(default="defaults", compare=False)

    @property
    def raft_address(self) -> str:
        return self.raft_address_of(0)

    def raft_address_of(self, shard: int) -> str:
        return "%s:%d" % (self.host, (self.raft_port or self.port + 100) + shard * SHARD_PORT_STRIDE)

    @property
    def raft_partners(self) -> list:
        return [member.raft_address for member in self.members if member.id != self.node_id]


@dataclass
class Member:
    """One node of the cluster as every node's config names it."""

    id: str
    host: str
    port: int
    raft_port: int
    grpc_port: int = 0  # 0: not configured (clients are then not told where the leader is)

    @property
    def raft_address(self) -> str:
        return self.raft_address_of(0)

    def raft_address_of(self, shard: int) -> str:
        return "%s:%d" % (self.host, self.raft_port + shard * SHARD_PORT_STRIDE)

    @property
    def address(self) -> str:
        return "%s:%d" % (self.host, self.port)


def _key_name(name: str) -> str:
    return name.replace("_", "-")


FIELD_NAMES = {_key_name(f.name): f for f in fields(Settings) if f.name not in ("source", "members")}


def load(path: str = None, overrides: dict = None) -> Settings:
    settings = Settings()
    if path:
        _apply(settings, read_toml(path, ConfigError), path)
        settings.source = path
    _apply(settings, {k: v for k, v in (overrides or {}).items() if v is not None}, "command line")
    validate(settings)
    return settings


def read_toml(path: str, error_class) -> dict:
    """A TOML file as a dict; any problem raised as error_class with one line of text."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error_class("config file not found: %s" % path) from None
    except IsADirectoryError:
        raise error_class("config file is a directory: %s" % path) from None
    except PermissionError:
        raise error_class("cannot read config file %s: permission denied" % path) from None
    except tomllib.TOMLDecodeError as error:
        raise error_class("invalid TOML in %s: %s" % (path, error)) from None


def _apply(settings: Settings, document: dict, origin: str):
    for key, value in document.items():
        if key == "members":
            settings.members = _members(value, origin)
            continue
        field_ = FIELD_NAMES.get(key) or FIELD_NAMES.get(_key_name(key))
        if field_ is None:
            raise ConfigError("unknown setting '%s' in %s" % (key, origin))
        setattr(settings, field_.name, _coerce(field_, value, key, origin))


def _members(value, origin) -> list:
    if not isinstance(value, list):
        raise ConfigError("members in %s must be a list of tables ([[members]])" % origin)
    members = []
    for index, table in enumerate(value):
        if not isinstance(table, dict) or set(table) - {"id", "host", "port", "raft-port", "grpc-port"}:
            raise ConfigError("members[%d] in %s must have id, host, port, raft-port (and may have grpc-port)"
                              % (index, origin))
        try:
            member = Member(str(table["id"]), str(table.get("host", "127.0.0.1")),
                            int(table["port"]), int(table["raft-port"]), int(table.get("grpc-port", 0)))
        except (KeyError, TypeError, ValueError):
            raise ConfigError("members[%d] in %s needs id, port and raft-port" % (index, origin)) from None
        members.append(member)
    return members


def _coerce(field_, value, key, origin):
    kind = field_.type
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("yes", "no", "true", "false"):
            return value.lower() in ("yes", "true")
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
    elif kind is str and isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError("setting '%s' in %s must be %s, got %r" % (key, origin, kind.__name__, value))


def validate(settings: Settings):
    for name in ("port", "metrics_port", "raft_port", "grpc_port", "sentinel_port"):
        value = getattr(settings, name)
        if not 0 <= value <= 65535 or (name == "port" and value == 0):
            raise ConfigError("%s must be a TCP port (1-65535), got %d" % (_key_name(name), value))
    if settings.appendfsync not in FSYNC_POLICIES:
        raise ConfigError("appendfsync must be one of %s, got %r" % ("/".join(FSYNC_POLICIES), settings.appendfsync))
    if settings.loglevel not in LOG_LEVELS:
        raise ConfigError("loglevel must be one of %s, got %r" % ("/".join(LOG_LEVELS), settings.loglevel))
    if not 1 <= settings.databases <= 256:
        raise ConfigError("databases must be between 1 and 256, got %d" % settings.databases)
    if settings.maxclients < 1:
        raise ConfigError("maxclients must be at least 1")
    if settings.timeout < 0:
        raise ConfigError("timeout must be >= 0")
    if not 1024 <= settings.proto_max_bulk_len <= 512 * 1024 * 1024:
        raise ConfigError("proto-max-bulk-len must be between 1024 and 536870912")
    if settings.slowlog_max_len < 0:
        raise ConfigError("slowlog-max-len must be >= 0")
    if settings.snapshot_min_entries < 1000:
        raise ConfigError("snapshot-min-entries must be at least 1000")
    if settings.cluster_mode not in ("proxy", "redis"):
        raise ConfigError("cluster-mode must be proxy or redis, got %r" % settings.cluster_mode)
    if settings.cluster_state not in ("new", "existing"):
        raise ConfigError("cluster-state must be new or existing, got %r" % settings.cluster_state)
    if not 1 <= settings.shards <= MAX_SHARDS:
        raise ConfigError("shards must be between 1 and %d, got %d" % (MAX_SHARDS, settings.shards))
    if settings.replication_factor < 1:
        raise ConfigError("replication-factor must be at least 1, got %d" % settings.replication_factor)
    if (settings.raft_port or settings.port + 100) + (settings.shards - 1) * SHARD_PORT_STRIDE > 65535:
        raise ConfigError("raft-port + %d x (shards - 1) must be a TCP port" % SHARD_PORT_STRIDE)
    if settings.proposal_timeout < 1:
        raise ConfigError("proposal-timeout must be at least 1 second")
    if settings.watch_history < 1:
        raise ConfigError("watch-history must be at least 1")
    if bool(settings.tls_cert_file) != bool(settings.tls_key_file):
        raise ConfigError("tls-cert-file and tls-key-file go together: set both or neither")
    if settings.snapshot_min_time < 1:
        raise ConfigError("snapshot-min-time must be at least 1 second")
    if not settings.node_id or any(c.isspace() for c in settings.node_id):
        raise ConfigError("node-id must be a non-empty word")
    _validate_members(settings)


def _validate_members(settings: Settings):
    if not settings.members:
        return
    ids = [member.id for member in settings.members]
    if len(set(ids)) != len(ids):
        raise ConfigError("members have duplicate ids")
    me = [member for member in settings.members if member.id == settings.node_id]
    if not me:
        raise ConfigError("node-id '%s' is not one of the members (%s)" % (settings.node_id, ", ".join(ids)))
    if len(settings.members) > 1 and not settings.cluster_secret:
        # Without a secret pysyncobj unpickles whatever a TCP peer sends: remote code execution.
        raise ConfigError("a cluster of several nodes needs cluster-secret (Raft traffic is authenticated with it)")
    for member in settings.members:
        if not (0 < member.port < 65536 and 0 < member.raft_port < 65536 and 0 <= member.grpc_port < 65536):
            raise ConfigError("member %s has an invalid port" % member.id)
    # this node listens where the members list says it does
    settings.host, settings.port, settings.raft_port = me[0].host, me[0].port, me[0].raft_port
    if me[0].grpc_port:
        settings.grpc_port = me[0].grpc_port


def add_arguments(parser: argparse.ArgumentParser):
    parser.add_argument("--config", metavar="FILE", help="TOML configuration file")
    parser.add_argument("--host", help="address to bind RESP, Raft and metrics (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="RESP port (default 7878)")
    parser.add_argument("--data-dir", help="directory for the Raft journal and snapshots (default ./data)")
    parser.add_argument("--metrics-port", type=int, help="Prometheus /metrics port, 0 disables (default 8878)")
    parser.add_argument("--raft-port", type=int, help="Raft port (default: RESP port + 100)")
    parser.add_argument("--grpc-port", type=int, help="gRPC API port, 0 disables (default 50051)")
    parser.add_argument("--sentinel-port", type=int,
                        help="serve the Sentinel API (a built-in Warden) on this port; 0 disables (default)")
    parser.add_argument("--tls-cert-file", help="PEM certificate for TLS on the gRPC port")
    parser.add_argument("--tls-key-file", help="PEM private key for TLS on the gRPC port")
    parser.add_argument("--appendfsync", choices=FSYNC_POLICIES, help="journal fsync policy (default always)")
    parser.add_argument("--requirepass", help="password for the default user")
    parser.add_argument("--loglevel", choices=LOG_LEVELS, help="log level (default info)")
    parser.add_argument("--logfile", help="log to this file instead of stderr")
    parser.add_argument("--node-id", help="this node's id (one of the config's members)")
    parser.add_argument("--cluster-secret", help="secret authenticating Raft traffic between nodes")
    parser.add_argument("--cluster-mode", choices=("proxy", "redis"),
                        help="proxy (default): any node serves any command; redis: followers answer -MOVED")
    parser.add_argument("--join", dest="cluster_state", action="store_const", const="existing",
                        help="join a running cluster (cluster-state = existing): replicate nothing until "
                             "spinelraft-admin add-node or rebalance adds this node to shards")
    parser.add_argument("--shards", type=int, help="Raft groups (shards) in the cluster (default 1)")
    parser.add_argument("--replication-factor", type=int,
                        help="members per shard, all nodes when fewer (default 3)")
    parser.add_argument("--proposal-timeout", type=int,
                        help="seconds before an uncommitted write is answered 'outcome unknown' (default 10)")
    parser.add_argument("--unsafe-stale-reads", action="store_true", default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--enable-debug-command", action="store_true", default=None,
                        help="test-only: allow DEBUG SET-CLOCK-SKEW (used by the jepsen suite)")


def overrides_from(namespace: argparse.Namespace) -> dict:
    names = ("host", "port", "data_dir", "metrics_port", "raft_port", "appendfsync",
             "requirepass", "loglevel", "logfile", "unsafe_stale_reads", "node_id", "cluster_secret", "proposal_timeout", "cluster_mode",
             "grpc_port", "tls_cert_file", "tls_key_file",
             "enable_debug_command", "shards", "replication_factor", "cluster_state", "sentinel_port")
    return {name: getattr(namespace, name, None) for name in names}
