"""Server commands run by the node: INFO CONFIG TIME SLOWLOG LASTSAVE SAVE BGSAVE."""
import os
import resource
import sys
import time

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node.commands import subcommands
from spinelraft.node.commands.connection import SERVER_VERSION
from spinelraft.node.config_registry import config_get, config_rewrite, config_set
from spinelraft.replies import OK, ErrorReply, Map, Simple, Verbatim
from spinelraft.statemachine.args import to_int


def _server(name, arity, flags="", categories=()):
    return command(name, arity, flags, group="server", kind="server", categories=categories)


@_server("time", 1, "loading stale fast")
def time_(session, args):
    """The server time as [seconds, microseconds]."""
    now_us = int(time.time() * 1_000_000)
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


@_server("lastsave", 1, "loading stale fast", categories=("@admin", "@dangerous"))
def lastsave(session, args):
    """Unix time of the last completed snapshot."""
    return session.node.last_save_time


def _compact_now(node):
    for shard in node.shards.values():
        shard.group.forceLogCompaction()
    node.last_save_time = int(time.time())


@_server("save", 1, "admin noscript no_async_loading no_multi")
def save(session, args):
    """Compact the Raft log into a RocksDB snapshot now (it runs in a forked child)."""
    _compact_now(session.node)
    return OK


@_server("bgsave", -1, "admin noscript no_async_loading")
def bgsave(session, args):
    """Compact the Raft log into a RocksDB snapshot in a forked child."""
    if args and args[0].upper() != b"SCHEDULE":
        return ErrorReply(errors.SYNTAX)
    _compact_now(session.node)
    return Simple("Background saving started")


@_server("shutdown", -1, "admin noscript loading stale no_multi allow_busy")
def shutdown(session, args):
    """Stop the server (as SIGTERM does: the journal is synced, nothing acknowledged is lost)."""
    options = {arg.upper() for arg in args}
    if not options <= {b"NOSAVE", b"SAVE", b"NOW", b"FORCE", b"ABORT"} or {b"SAVE", b"NOSAVE"} <= options:
        return ErrorReply(errors.SYNTAX)
    if b"ABORT" in options:
        return ErrorReply("ERR No shutdown in progress.")
    node = session.node
    if node.request_shutdown is None:
        return ErrorReply("ERR Errors trying to SHUTDOWN. Check logs.")
    if b"SAVE" in options:
        _compact_now(node)
    node.request_shutdown()
    if session.kill is not None:
        session.kill()  # as in Redis, the client sees the connection close, not a reply
    return OK


# -- SLOWLOG ----------------------------------------------------------------------------------------
def _slowlog_get(session, args):
    count = 10
    if args:
        count = to_int(args[0])
        if count is None or count < -1:
            return ErrorReply("ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(session.node.slowlog.entries)
    return session.node.slowlog.get(count)


def _slowlog_len(session, args):
    return len(session.node.slowlog.entries)


def _slowlog_reset(session, args):
    session.node.slowlog.reset()
    return OK


def _slowlog_help(session, args):
    return [Simple(line) for line in (
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]", "LEN", "RESET", "HELP")]


SLOWLOG_SUBCOMMANDS = {
    b"get": (-2, _slowlog_get),
    b"len": (2, _slowlog_len),
    b"reset": (2, _slowlog_reset),
    b"help": (2, _slowlog_help),
}


@_server("slowlog", -2)  # flags are on its subcommands in Redis
def slowlog(session, args):
    """Read or reset the slow command log."""
    return subcommands("SLOWLOG", SLOWLOG_SUBCOMMANDS, session, args)


# -- CONFIG --------------------------------------------------------------------------------------------
def _config_get(session, args):
    return Map(config_get(session.node, args))


def _config_set(session, args):
    if len(args) % 2:
        return ErrorReply(errors.wrong_arity("config|set"))
    return config_set(session.node, args)


def _config_resetstat(session, args):
    node = session.node
    node.stats.clear()
    node.total_errors = 0
    node.error_counts.clear()
    node.slowlog.reset()
    return OK


def _config_rewrite(session, args):
    return config_rewrite(session.node)


def _config_help(session, args):
    return [Simple(line) for line in (
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP")]


CONFIG_SUBCOMMANDS = {
    b"get": (-3, _config_get),
    b"set": (-4, _config_set),
    b"resetstat": (2, _config_resetstat),
    b"rewrite": (2, _config_rewrite),
    b"help": (2, _config_help),
}


@_server("config", -2)  # flags are on its subcommands in Redis
def config(session, args):
    """Read and change the server configuration."""
    return subcommands("CONFIG", CONFIG_SUBCOMMANDS, session, args)


# -- INFO ----------------------------------------------------------------------------------------------
def _section_server(node):
    settings = node.settings
    uptime = int(time.time() - node.started_at)
    return [
        ("redis_version", SERVER_VERSION.decode()),
        ("spinelraft_version", "0.1.0"),
        ("redis_mode", "standalone"),
        ("os", "%s %s" % (os.uname().sysname, os.uname().release)),
        ("arch_bits", 64),
        ("process_id", os.getpid()),
        ("python_version", sys.version.split()[0]),
        ("tcp_port", settings.port),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("executable", sys.argv[0]),
        ("config_file", settings.source if settings.source != "defaults" else ""),
    ]


def _section_clients(node):
    return [
        ("connected_clients", len(node.sessions)),
        ("maxclients", node.settings.maxclients),
        ("blocked_clients", node.blocking.blocked_count()),
    ]


def _current_rss() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _human(size: int) -> str:
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= scale:
            return "%.2f%s" % (size / scale, unit)
    return "%dB" % size


def _section_memory(node):
    rss = _current_rss()
    peak = max(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return [
        ("used_memory", rss),  # a Python process: its resident size is the memory it uses
        ("used_memory_human", _human(rss)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", _human(peak)),
        ("maxmemory", 0),
        ("maxmemory_policy", "noeviction"),
    ]


def _section_persistence(node):
    statuses = [shard.group.status() for shard in node.shards.values()]
    return [
        ("loading", 0),
        ("rdb_last_save_time", node.last_save_time),
        ("aof_enabled", 1),
        ("appendfsync", node.settings.appendfsync),
        ("raft_journal_fsyncs", sum(status["fsyncs"] for status in statuses)),
        ("snapshots_completed", sum(status["snapshots"] for status in statuses)),
        ("last_snapshot_duration_sec", "%.3f" % max((s["last_snapshot_s"] for s in statuses), default=0.0)),
    ]


def _section_stats(node):
    proposers = [shard.proposer for shard in node.shards.values()]
    return [
        ("total_connections_received", node.total_connections),
        ("total_commands_processed", node.total_commands),
        ("rejected_connections", node.rejected_connections),
        ("total_error_replies", node.total_errors),
        ("raft_entries_proposed", sum(p.entries_proposed for p in proposers)),
        ("raft_commands_proposed", sum(p.ops_proposed for p in proposers)),
        ("raft_proposal_backlog", sum(p.backlog() for p in proposers)),
    ]


def _section_replication(node):
    """As Redis has it once per node: the role in this node's first shard (INFO raft and ROLE
    describe every shard)."""
    group = node.group
    if group is None:
        return [("role", "slave"), ("connected_slaves", 0), ("master_repl_offset", 0)]
    role = "master" if group.is_leader() else "slave"
    return [
        ("role", role),
        ("connected_slaves", len(group.otherNodes)),
        ("master_repl_offset", group.raftCommitIndex),
    ]


def _section_raft(node):
    rows = [
        ("raft_node_id", node.settings.node_id),
        ("raft_shards", node.layout.count),
        ("raft_shards_here", ",".join(str(shard_id) for shard_id in sorted(node.shards))),
    ]
    for shard_id in sorted(node.shards):
        status = node.shards[shard_id].group.status()
        rows += [
            ("shard%d_role" % shard_id, status["role"]),
            ("shard%d_leader" % shard_id, status["leader"] or ""),
            ("shard%d_term" % shard_id, status["term"]),
            ("shard%d_commit_index" % shard_id, status["commit_index"]),
            ("shard%d_applied_index" % shard_id, status["last_applied"]),
            ("shard%d_log_index" % shard_id, status["log_index"]),
        ]
    return rows


def _section_keyspace(node):
    """Keys of the shards replicated on this node (DBSIZE counts the whole cluster)."""
    totals = {}
    for shard in node.shards.values():
        now_ms = shard.proposer.now_ms()
        with shard.group.lock:
            rows = shard.group.machine.keyspace(now_ms)
        for index, keys, expires in rows:
            total = totals.setdefault(index, [0, 0])
            total[0] += keys
            total[1] += expires
    return [("db%d" % index, "keys=%d,expires=%d,avg_ttl=0" % (keys, expires))
            for index, (keys, expires) in sorted(totals.items())]


def _section_commandstats(node):
    rows = []
    for name, stats in sorted(node.stats.items()):
        per_call = stats.usec / stats.calls if stats.calls else 0.0
        rows.append(("cmdstat_%s" % name, "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=0,failed_calls=%d"
                     % (stats.calls, stats.usec, per_call, stats.failed)))
    return rows


def _section_errorstats(node):
    return [("errorstat_%s" % prefix, "count=%d" % count) for prefix, count in sorted(node.error_counts.items())]


SECTIONS = {
    "server": _section_server,
    "clients": _section_clients,
    "memory": _section_memory,
    "persistence": _section_persistence,
    "stats": _section_stats,
    "replication": _section_replication,
    "raft": _section_raft,
    "keyspace": _section_keyspace,
    "commandstats": _section_commandstats,
    "errorstats": _section_errorstats,
}
DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "raft", "keyspace")


@_server("info", -1, "loading stale", categories=("@dangerous",))
def info(session, args):
    """Information and statistics about the server, section by section."""
    wanted = [arg.decode("utf-8", "replace").lower() for arg in args]
    if not wanted or "default" in wanted:
        names = list(DEFAULT_SECTIONS)
    elif "all" in wanted or "everything" in wanted:
        names = list(SECTIONS)
    else:
        names = [name for name in SECTIONS if name in wanted]
    lines = []
    for name in names:
        lines.append("# %s" % name.capitalize())
        lines.extend("%s:%s" % pair for pair in SECTIONS[name](session.node))
        lines.append("")
    text = "\r\n".join(lines).encode()
    return Verbatim(text) if session.protocol == 3 else text

