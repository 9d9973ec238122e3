"""The Warden's command surface: the Redis Sentinel API, with each shard as a monitored master.

Handlers take (warden, client, args) and return a reply value (spinelraft.replies), a coroutine
giving one, or NO_REPLY when they wrote their replies themselves (SUBSCRIBE & co).
Reply shapes and error texts follow Redis 7.0's sentinel.c.
"""
import asyncio
import os
import platform
import time

from spinelraft import errors
from spinelraft.replies import NULL_ARRAY, OK, PONG, ErrorReply, Map, Push, Simple, Verbatim
from spinelraft.statemachine.glob import match as glob_match
from spinelraft.warden.transfer import transfer_leadership

VERSION = b"7.0.15"  # the Redis version whose Sentinel the Warden answers like
NO_SUCH_MASTER = "ERR No such master with that name"
NO_REPLY = object()
SUBSCRIBE_CONTEXT = {b"subscribe", b"psubscribe", b"unsubscribe", b"punsubscribe", b"ssubscribe",
                     b"sunsubscribe", b"ping", b"quit", b"reset"}
NO_AUTH_NEEDED = {b"auth", b"hello", b"quit"}


def _ms(since, now) -> bytes:
    return b"%d" % int((now - since) * 1000) if since is not None else b"0"


def _b(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# -- instance descriptions ---------------------------------------------------------------------
def _link_fields(warden, node_id, now) -> list:
    probe = warden.monitor.probe_for(node_id)
    if probe is None:
        return [(b"last-ping-sent", b"0"), (b"last-ok-ping-reply", b"0"), (b"last-ping-reply", b"0")]
    return [
        (b"last-ping-sent", _ms(probe.ping_sent, now)),
        (b"last-ok-ping-reply", _ms(probe.last_ok if probe.last_ok is not None else probe.created, now)),
        (b"last-ping-reply", _ms(probe.last_reply if probe.last_reply is not None else probe.created, now)),
    ]


def describe_master(warden, state, now=None) -> Map:
    now = time.monotonic() if now is None else now
    settings = warden.settings
    flags = ["master"]
    if state.s_down_since is not None:
        flags.append("s_down")
    if state.o_down_since is not None:
        flags.append("o_down")
    if state.failover_in_progress:
        flags.append("failover_in_progress")
    probe = warden.monitor.probe_for(state.runid)
    fields = [
        (b"name", state.name.encode()),
        (b"ip", state.ip.encode()),
        (b"port", b"%d" % state.port),
        (b"runid", state.runid.encode()),
        (b"flags", ",".join(flags).encode()),
        (b"link-pending-commands", b"1" if probe is not None and probe.ping_sent is not None else b"0"),
        (b"link-refcount", b"1"),
        *_link_fields(warden, state.runid, now),
    ]
    if state.s_down_since is not None:
        fields.append((b"s-down-time", _ms(state.s_down_since, now)))
    if state.o_down_since is not None:
        fields.append((b"o-down-time", _ms(state.o_down_since, now)))
    fields += [
        (b"down-after-milliseconds", b"%d" % settings.down_after_milliseconds),
        (b"info-refresh", _ms(probe.last_ok if probe is not None else None, now)),
        (b"role-reported", b"master"),
        (b"role-reported-time", _ms(state.role_reported_time, now)),
        (b"config-epoch", b"%d" % state.config_epoch),
        (b"num-slaves", b"%d" % len(state.replicas)),
        (b"num-other-sentinels", b"0"),
        (b"quorum", b"%d" % state.quorum),
        (b"failover-timeout", b"%d" % settings.failover_timeout),
        (b"parallel-syncs", b"1"),
    ]
    return Map(fields)


def describe_replica(warden, state, replica, now=None) -> Map:
    now = time.monotonic() if now is None else now
    settings = warden.settings
    down = replica.down_since is not None
    probe = warden.monitor.probe_for(replica.id)
    fields = [
        (b"name", b"%s:%d" % (replica.ip.encode(), replica.port)),
        (b"ip", replica.ip.encode()),
        (b"port", b"%d" % replica.port),
        (b"runid", replica.id.encode()),
        (b"flags", b"slave,s_down" if down else b"slave"),
        (b"link-pending-commands", b"1" if probe is not None and probe.ping_sent is not None else b"0"),
        (b"link-refcount", b"1"),
        *_link_fields(warden, replica.id, now),
    ]
    if down:
        fields.append((b"s-down-time", _ms(replica.down_since, now)))
    master_down = state.s_down_since is not None
    fields += [
        (b"down-after-milliseconds", b"%d" % settings.down_after_milliseconds),
        (b"info-refresh", _ms(probe.last_ok if probe is not None else None, now)),
        (b"role-reported", b"slave"),
        (b"role-reported-time", _ms(replica.seen_at, now)),
        (b"master-link-down-time", _ms(state.s_down_since, now) if master_down else b"0"),
        (b"master-link-status", b"err" if master_down or down else b"ok"),
        (b"master-host", state.ip.encode()),
        (b"master-port", b"%d" % state.port),
        (b"slave-priority", b"100"),
        (b"slave-repl-offset", b"%d" % replica.offset),
        (b"replica-announced", b"1"),
    ]
    return Map(fields)


# -- SENTINEL subcommands ----------------------------------------------------------------------
def _known_masters(warden):
    return [state for state in warden.monitor.masters if state.known]


def _master_or_error(warden, name):
    state = warden.monitor.master(name)
    if state is None or not state.known:
        return None, ErrorReply(NO_SUCH_MASTER)
    return state, None


def _masters(warden, client, args):
    now = time.monotonic()
    return [describe_master(warden, state, now) for state in _known_masters(warden)]


def _master(warden, client, args):
    state, error = _master_or_error(warden, args[0])
    return error or describe_master(warden, state)


def _replicas(warden, client, args):
    state, error = _master_or_error(warden, args[0])
    if error:
        return error
    now = time.monotonic()
    return [describe_replica(warden, state, replica, now) for replica in state.replicas]


def _sentinels(warden, client, args):
    state, error = _master_or_error(warden, args[0])
    return error or []  # a Warden is alone: Raft, not a Sentinel vote, elects the leaders


def _get_master_addr_by_name(warden, client, args):
    state = warden.monitor.master(args[0])
    if state is None or not state.known:
        return NULL_ARRAY
    return [state.ip.encode(), b"%d" % state.port]


def _ckquorum(warden, client, args):
    state, error = _master_or_error(warden, args[0])
    if error:
        return error
    usable = warden.monitor.reachable_members(state)
    majority = state.members // 2 + 1
    if usable >= state.quorum and usable >= majority:
        return Simple("OK %d usable Sentinels. Quorum and failover authorization can be reached" % usable)
    problems = []
    if usable < state.quorum:
        problems.append("Not enough available Sentinels to reach the specified quorum for this master")
    if usable < majority:
        problems.append("Not enough available Sentinels to reach the majority and authorize a failover")
    return ErrorReply("NOQUORUM %d usable Sentinels. %s" % (usable, ". ".join(problems)))


def _failover(warden, client, args):
    state, error = _master_or_error(warden, args[0])
    if error:
        return error
    if state.failover_in_progress:
        return ErrorReply("INPROG Failover already in progress")
    if not any(replica.down_since is None for replica in state.replicas):
        return ErrorReply("NOGOODSLAVE No suitable replica to promote")
    return _run_failover(warden, state)


async def _run_failover(warden, state):
    monitor = warden.monitor
    timeout_s = warden.settings.failover_timeout / 1000.0
    old = state.runid
    state.failover_in_progress = True
    warden.publish("+try-failover", state.event_id())
    try:
        reply = await transfer_leadership(monitor, state, timeout_s)
        if isinstance(reply, ErrorReply):
            warden.publish("-failover-abort-no-good-slave", state.event_id())
            message = reply.message.split(" ", 1)[1] if " " in reply.message else reply.message
            return ErrorReply("NOGOODSLAVE No suitable replica to promote: %s" % message)
        monitor.poke()  # see the new leader now rather than at the next poll
        await monitor.wait_for(lambda: state.runid != old and state.s_down_since is None, timeout_s)
        warden.publish("+failover-end", state.event_id())
        return OK
    finally:
        state.failover_in_progress = False


def _is_master_down_by_addr(warden, client, args):
    ip = args[0].decode("utf-8", "replace")
    port, epoch = _int(args[1]), _int(args[2])
    if port is None or epoch is None:
        return ErrorReply(errors.NOT_INTEGER)
    state = next((s for s in _known_masters(warden) if s.ip == ip and s.port == port), None)
    down = 1 if state is not None and state.s_down_since is not None else 0
    # No Sentinel vote: Raft elects the shard leaders, so this Warden never grants one.
    return [down, b"*", 0]


def _myid(warden, client, args):
    return warden.myid.encode()


def _reset(warden, client, args):
    matched = [state for state in _known_masters(warden) if glob_match(args[0], state.name.encode())]
    warden.monitor.poke()
    return len(matched)


def _pending_scripts(warden, client, args):
    return []


def _flushconfig(warden, client, args):
    return OK


def _not_here(what):
    def handler(warden, client, args):
        return ErrorReply("ERR SENTINEL %s is not supported by the SpinelRaft Warden: its masters are the "
                          "cluster's shards (see warden.toml)" % what)
    return handler


def _config(warden, client, args):
    sub = args[0].lower()
    if sub == b"get" and len(args) == 2:
        values = {b"resolve-hostnames": b"no", b"announce-hostnames": b"no", b"announce-ip": b"",
                  b"announce-port": b"0", b"sentinel-user": b"", b"sentinel-pass": b""}
        return Map([(key, value) for key, value in values.items() if glob_match(args[1].lower(), key)])
    return _not_here("CONFIG SET")(warden, client, args)


def _help(warden, client, args):
    return [Simple(line) for line in (
        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CKQUORUM <master-name>", "    Check if the current Sentinel configuration is able to reach the quorum",
        "    needed to failover a master and the majority needed to authorize the failover.",
        "CONFIG GET <param>", "FAILOVER <master-name>",
        "    Move the Raft leadership of the shard to its most caught-up member.",
        "GET-MASTER-ADDR-BY-NAME <master-name>", "    Return the ip and port number of the master with that name.",
        "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
        "MASTER <master-name>", "    Show the state and info of the specified master.",
        "MASTERS", "    Show a list of monitored masters (one per shard) and their state.",
        "MYID", "    Return the ID of the Sentinel instance.",
        "REPLICAS <master-name>", "    Show a list of replicas for this master and their state.",
        "RESET <pattern>", "    Poll the cluster again for masters with matching names.",
        "SENTINELS <master-name>", "    Show a list of Sentinel instances for this master and their state.",
        "HELP", "    Print this help.")]


def _int(raw: bytes):
    try:
        text = raw.decode()
        if text != text.strip() or text.startswith("+"):
            return None
        return int(text)
    except (UnicodeDecodeError, ValueError):
        return None


SENTINEL_SUBCOMMANDS = {
    # name: (arity counting SENTINEL and the subcommand, negative: at least, handler)
    b"masters": (2, _masters),
    b"master": (3, _master),
    b"replicas": (3, _replicas),
    b"slaves": (3, _replicas),
    b"sentinels": (3, _sentinels),
    b"get-master-addr-by-name": (3, _get_master_addr_by_name),
    b"ckquorum": (3, _ckquorum),
    b"failover": (3, _failover),
    b"is-master-down-by-addr": (6, _is_master_down_by_addr),
    b"myid": (2, _myid),
    b"reset": (3, _reset),
    b"pending-scripts": (2, _pending_scripts),
    b"flushconfig": (2, _flushconfig),
    b"config": (-3, _config),
    b"monitor": (6, _not_here("MONITOR")),
    b"remove": (3, _not_here("REMOVE")),
    b"set": (-5, _not_here("SET")),
    b"info-cache": (-3, _not_here("INFO-CACHE")),
    b"simulate-failure": (-3, _not_here("SIMULATE-FAILURE")),
    b"debug": (-2, _not_here("DEBUG")),
    b"help": (2, _help),
}


def sentinel(warden, client, args):
    if not args:
        return ErrorReply(errors.wrong_arity("sentinel"))
    sub = args[0].lower()
    entry = SENTINEL_SUBCOMMANDS.get(sub)
    if entry is None:
        return ErrorReply(errors.unknown_subcommand("SENTINEL", args[0].decode("utf-8", "replace")))
    arity, handler = entry
    argc = len(args) + 1
    if (arity >= 0 and argc != arity) or (arity < 0 and argc < -arity):
        return ErrorReply(errors.wrong_arity("sentinel|%s" % sub.decode()))
    return handler(warden, client, args[1:])


# -- connection and server commands ------------------------------------------------------------
def ping(warden, client, args):
    if len(args) > 1:
        return ErrorReply(errors.wrong_arity("ping"))
    if client.subscriptions and client.protocol == 2:
        return [b"pong", args[0] if args else b""]
    return args[0] if args else PONG


def echo(warden, client, args):
    if len(args) != 1:
        return ErrorReply(errors.wrong_arity("echo"))
    return args[0]


def _password_ok(warden, user: bytes, password: bytes) -> bool:
    return user == b"default" and password == warden.settings.requirepass.encode()


def auth(warden, client, args):
    if not 1 <= len(args) <= 2:
        return ErrorReply(errors.wrong_arity("auth"))
    if not warden.settings.requirepass and len(args) == 1:
        return ErrorReply(errors.AUTH_NOT_CONFIGURED)
    user, password = (b"default", args[0]) if len(args) == 1 else (args[0], args[1])
    if not warden.settings.requirepass:
        ok = user == b"default"  # the default user has no password: any password is accepted
    else:
        ok = _password_ok(warden, user, password)
    if not ok:
        return ErrorReply(errors.WRONGPASS)
    client.authenticated = True
    return OK


def hello(warden, client, args):
    protocol = client.protocol
    if args:
        protocol = _int(args[0])
        if protocol is None:
            return ErrorReply("ERR Protocol version is not an integer or out of range")
        if protocol not in (2, 3):
            return ErrorReply(errors.NOPROTO)
    index, name = 1, None
    while index < len(args):
        option = args[index].upper()
        if option == b"AUTH" and index + 2 < len(args):
            if warden.settings.requirepass and not _password_ok(warden, args[index + 1], args[index + 2]):
                return ErrorReply(errors.WRONGPASS)
            client.authenticated = True
            index += 3
        elif option == b"SETNAME" and index + 1 < len(args):
            name = args[index + 1]
            if not all(33 <= byte <= 126 for byte in name):
                return ErrorReply(errors.CLIENT_NAME_SPACES)
            index += 2
        else:
            return ErrorReply("ERR Syntax error in HELLO option '%s'" % args[index].decode("utf-8", "replace"))
    if not client.authenticated:
        return ErrorReply(errors.NOAUTH_HELLO)
    if name is not None:
        client.name = name
    client.protocol = protocol
    return Map([(b"server", b"redis"), (b"version", VERSION), (b"proto", protocol), (b"id", client.id),
                (b"mode", b"sentinel"), (b"role", b"master"), (b"modules", [])])


def role(warden, client, args):
    if args:
        return ErrorReply(errors.wrong_arity("role"))
    return [b"sentinel", [state.name.encode() for state in _known_masters(warden)]]


def info(warden, client, args):
    sections = [arg.lower().decode("utf-8", "replace") for arg in args] or ["default"]
    wanted = set(sections)
    everything = wanted & {"all", "everything", "default"}
    out = []
    for name, builder in (("server", _info_server), ("clients", _info_clients), ("stats", _info_stats),
                          ("sentinel", _info_sentinel)):
        if everything or name in wanted:
            if out:
                out.append("")
            out.append("# %s" % name.capitalize())
            out.extend(builder(warden))
    text = ("\r\n".join(out) + "\r\n").encode() if out else b""
    return Verbatim(text, "txt")


def _info_server(warden):
    uptime = int(time.monotonic() - warden.monitor.started)
    return [
        "redis_version:%s" % VERSION.decode(),
        "redis_mode:sentinel",
        "spinelraft_role:warden",
        "os:%s %s %s" % (platform.system(), platform.release(), platform.machine()),
        "arch_bits:64",
        "process_id:%d" % os.getpid(),
        "run_id:%s" % warden.myid,
        "tcp_port:%d" % warden.settings.port,
        "uptime_in_seconds:%d" % uptime,
        "uptime_in_days:%d" % (uptime // 86400),
        "config_file:%s" % (os.path.abspath(warden.settings.source)
                            if warden.settings.source != "defaults" else ""),
    ]


def _info_clients(warden):
    return ["connected_clients:%d" % len(warden.clients),
            "pubsub_clients:%d" % sum(1 for c in warden.clients.values() if c.subscriptions)]


def _info_stats(warden):
    return ["total_connections_received:%d" % warden.total_connections,
            "total_commands_processed:%d" % warden.total_commands,
            "pubsub_channels:%d" % len(warden.channels),
            "pubsub_patterns:%d" % len(warden.patterns)]


def _info_sentinel(warden):
    masters = _known_masters(warden)
    lines = ["sentinel_masters:%d" % len(masters), "sentinel_tilt:0", "sentinel_tilt_since_seconds:-1",
             "sentinel_running_scripts:0", "sentinel_scripts_queue_length:0",
             "sentinel_simulate_failure_flags:0"]
    for index, state in enumerate(masters):
        status = ("odown" if state.o_down_since is not None
                  else "sdown" if state.s_down_since is not None else "ok")
        lines.append("master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=1"
                     % (index, state.name, status, state.ip, state.port, len(state.replicas)))
    return lines


def client_command(warden, client, args):
    if not args:
        return ErrorReply(errors.wrong_arity("client"))
    sub = args[0].lower()
    if sub == b"setname" and len(args) == 2:
        if not all(33 <= byte <= 126 for byte in args[1]):
            return ErrorReply(errors.CLIENT_NAME_SPACES)
        client.name = args[1]
        return OK
    if sub == b"getname" and len(args) == 1:
        return client.name or None
    if sub == b"id" and len(args) == 1:
        return client.id
    if sub == b"setinfo" and len(args) == 3:
        return OK
    if sub == b"info" and len(args) == 1:
        return Verbatim(client.describe(warden).encode() + b"\n", "txt")
    if sub == b"list" and len(args) == 1:
        return Verbatim(b"".join(c.describe(warden).encode() + b"\n" for c in warden.clients.values()), "txt")
    if sub in (b"setname", b"getname", b"id", b"setinfo", b"info", b"list"):
        return ErrorReply(errors.wrong_arity("client|%s" % sub.decode()))
    return ErrorReply(errors.unknown_subcommand("CLIENT", args[0].decode("utf-8", "replace")))


def command_command(warden, client, args):
    if args and args[0].lower() == b"count":
        return len(COMMANDS)
    if args and args[0].lower() == b"docs":
        return Map([])
    if args and args[0].lower() == b"info":
        return [None for _ in args[1:]]
    return []


def quit_(warden, client, args):
    client.closing = True
    return OK


def reset(warden, client, args):
    warden.unsubscribe_all(client)
    client.protocol = 2
    client.name = None
    client.authenticated = not warden.settings.requirepass
    return Simple("RESET")


def shutdown(warden, client, args):
    warden.stop()
    client.closing = True
    return NO_REPLY


# -- pub/sub -------------------------------------------------------------------------------------
def subscribe(warden, client, args):
    return _subscribe(warden, client, args, warden.channels, client.channels, b"subscribe", "subscribe")


def psubscribe(warden, client, args):
    return _subscribe(warden, client, args, warden.patterns, client.patterns, b"psubscribe", "psubscribe")


def _subscribe(warden, client, args, registry, mine, kind, name):
    if not args:
        return ErrorReply(errors.wrong_arity(name))
    for target in args:
        if target not in mine:
            mine.add(target)
            registry.setdefault(target, set()).add(client)
        client.send(Push([kind, target, client.subscriptions]))
    return NO_REPLY


def unsubscribe(warden, client, args):
    return _unsubscribe(warden, client, args, warden.channels, client.channels, b"unsubscribe")


def punsubscribe(warden, client, args):
    return _unsubscribe(warden, client, args, warden.patterns, client.patterns, b"punsubscribe")


def _unsubscribe(warden, client, args, registry, mine, kind):
    targets = list(args) or list(mine)
    if not targets:
        client.send(Push([kind, None, client.subscriptions]))
        return NO_REPLY
    for target in targets:
        if target in mine:
            mine.discard(target)
            listeners = registry.get(target)
            if listeners is not None:
                listeners.discard(client)
                if not listeners:
                    del registry[target]
        client.send(Push([kind, target, client.subscriptions]))
    return NO_REPLY


COMMANDS = {
    b"sentinel": sentinel,
    b"ping": ping,
    b"echo": echo,
    b"auth": auth,
    b"hello": hello,
    b"role": role,
    b"info": info,
    b"client": client_command,
    b"command": command_command,
    b"quit": quit_,
    b"reset": reset,
    b"shutdown": shutdown,
    b"subscribe": subscribe,
    b"psubscribe": psubscribe,
    b"unsubscribe": unsubscribe,
    b"punsubscribe": punsubscribe,
}


def dispatch(warden, client, argv):
    """A reply, a coroutine giving one, or NO_REPLY."""
    name = argv[0].lower()
    handler = COMMANDS.get(name)
    if handler is None:
        return ErrorReply(errors.unknown_command(argv[0].decode("utf-8", "replace"), argv[1:]))
    if not client.authenticated and name not in NO_AUTH_NEEDED:
        return ErrorReply(errors.NOAUTH)
    if client.subscriptions and client.protocol == 2 and name not in SUBSCRIBE_CONTEXT:
        return ErrorReply("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                          "are allowed in this context" % name.decode("utf-8", "replace"))
    return handler(warden, client, argv[1:])


def is_awaitable(reply) -> bool:
    return asyncio.iscoroutine(reply)
