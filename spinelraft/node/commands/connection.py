"""Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT, transactions, READONLY."""
import hmac
import time

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node.commands import subcommands
from spinelraft.node.session import Slot
from spinelraft.replies import OK, PONG, ErrorReply, Map, Simple
from spinelraft.statemachine.args import to_int

SERVER_VERSION = b"7.0.15"  # the Redis version whose behaviour we match (clients check it)


def _server(name, arity, flags="", group="connection", keys=(0, 0, 0), categories=()):
    return command(name, arity, flags, keys=keys, group=group, kind="server", categories=categories)


@_server("ping", -1, "fast")
def ping(session, args):
    """Ping the server."""
    if len(args) > 1:
        return ErrorReply(errors.wrong_arity("ping"))
    return args[0] if args else PONG


@_server("echo", 2, "loading stale fast")
def echo(session, args):
    """Echo the given string."""
    return args[0]


@_server("select", 2, "fast stale loading")
def select(session, args):
    """Change the selected database."""
    index = to_int(args[0])
    if index is None:
        return ErrorReply(errors.NOT_INTEGER)
    if not 0 <= index < session.node.settings.databases:
        return ErrorReply(errors.DB_INDEX_OUT_OF_RANGE)
    session.db = index
    return OK


@_server("quit", -1, "noscript loading stale fast no_auth allow_busy")
def quit_(session, args):
    """Close the connection."""
    session.closing = True
    return OK


@_server("reset", 1, "noscript loading stale fast no_auth allow_busy")
def reset(session, args):
    """Reset the connection: db 0, RESP2, no MULTI, no WATCH, not authenticated."""
    session.reset()
    return Simple("RESET")


def _check_password(session, username: bytes, password: bytes) -> bool:
    expected = session.node.settings.requirepass
    if username != b"default":
        return False
    if not expected:
        return True
    return hmac.compare_digest(password, expected.encode())


@_server("auth", -2, "noscript loading stale fast no_auth allow_busy")
def auth(session, args):
    """Authenticate the connection."""
    if len(args) > 2:
        return ErrorReply(errors.SYNTAX)
    if len(args) == 1 and not session.node.settings.requirepass:
        return ErrorReply(errors.AUTH_NOT_CONFIGURED)
    username, password = (b"default", args[0]) if len(args) == 1 else args
    if not _check_password(session, username, password):
        return ErrorReply(errors.WRONGPASS)
    session.authenticated = True
    session.user = username.decode()
    return OK


@_server("hello", -1, "noscript loading stale fast no_auth allow_busy")
def hello(session, args):
    """Handshake: choose RESP2 or RESP3, optionally AUTH and SETNAME."""
    protocol = session.protocol
    if args:
        protocol = to_int(args[0])
        if protocol is None:
            return ErrorReply("ERR Protocol version is not an integer or out of range")
        if protocol not in (2, 3):
            return ErrorReply(errors.NOPROTO)
    index = 1
    name = None
    while index < len(args):
        option = args[index].upper()
        if option == b"AUTH" and index + 2 < len(args):
            if not _check_password(session, args[index + 1], args[index + 2]):
                return ErrorReply(errors.WRONGPASS)
            session.authenticated = True
            index += 3
        elif option == b"SETNAME" and index + 1 < len(args):
            name = args[index + 1]
            if not _valid_name(name):
                return ErrorReply(errors.CLIENT_NAME_SPACES)
            index += 2
        else:
            return ErrorReply("ERR Syntax error in HELLO option '%s'" % args[index].decode("utf-8", "replace"))
    if not session.authenticated:
        return ErrorReply(errors.NOAUTH_HELLO)
    if name is not None:
        session.name = name
    session.protocol = protocol
    return Map([
        (b"server", b"redis"),
        (b"version", SERVER_VERSION),
        (b"proto", protocol),
        (b"id", session.id),
        (b"mode", b"standalone"),
        (b"role", b"master" if session.node.group is not None and session.node.group.is_leader() else b"replica"),
        (b"modules", []),
    ])


def _valid_name(name: bytes) -> bool:
    return all(33 <= byte <= 126 for byte in name)


# -- transactions -------------------------------------------------------------------------------
@_server("multi", 1, "noscript loading stale fast allow_busy", group="transactions")
def multi(session, args):
    """Start a transaction."""
    if session.multi is not None:
        return ErrorReply(errors.NESTED_MULTI)
    session.multi = []
    session.multi_error = False
    return OK


@_server("exec", 1, "noscript loading stale skip_slowlog", group="transactions")
def exec_(session, args):
    """Run the queued commands atomically as one Raft entry."""
    if session.multi is None:
        return ErrorReply(errors.EXEC_WITHOUT_MULTI)
    if session.multi_error:
        session.multi = None
        session.multi_error = False
        session.watches = {}
        return ErrorReply(errors.EXECABORT)
    return session.node.execute_multi(session)


@_server("discard", 1, "noscript loading stale fast allow_busy", group="transactions")
def discard(session, args):
    """Discard the queued commands."""
    if session.multi is None:
        return ErrorReply(errors.DISCARD_WITHOUT_MULTI)
    session.multi = None
    session.multi_error = False
    session.watches = {}
    return OK


@_server("watch", -2, "noscript loading stale fast allow_busy", group="transactions", keys=(1, -1, 1))
def watch(session, args):
    """Remember the version of keys; EXEC fails if any of them changes first."""
    if session.multi is not None:
        return ErrorReply(errors.WATCH_IN_MULTI)
    node = session.node
    if node.layout.count > 1:  # the EXEC runs on one shard: its watched keys live there
        shards = {node.shard_of_key(key) for key in args}
        shards |= {node.shard_of_key(key) for (_, key) in session.watches}
        if len(shards) > 1:
            return ErrorReply(errors.CROSSSLOT)
    fetching = []  # versions read from a node replicating the keys' shard
    for key in args:
        watched = (session.db, key)
        if watched not in session.watches:
            version = node.key_version(session.db, key)
            if type(version) is Slot:
                session.watches[watched] = -1  # never matches: EXEC fails if it is not replaced
                fetching.append((watched, version))
            else:
                session.watches[watched] = version
    if not fetching:
        return OK
    done = Slot()
    remaining = [len(fetching)]

    def fetched(watched, version):
        if type(version.reply) is int and watched in session.watches:
            session.watches[watched] = version.reply
        remaining[0] -= 1
        if remaining[0] == 0:
            failed = [v.reply for _, v in fetching if type(v.reply) is ErrorReply]
            done.resolve(failed[0] if failed else OK)

    for watched, version in fetching:
        if version.ready:
            fetched(watched, version)
        else:
            version.on_ready = lambda w=watched, v=version: fetched(w, v)
    return done


@_server("unwatch", 1, "noscript loading stale fast allow_busy", group="transactions")
def unwatch(session, args):
    """Forget all WATCHed keys."""
    session.watches = {}
    return OK


@_server("readonly", 1, "fast loading stale", group="cluster", categories=("@connection",))
def readonly(session, args):
    """Allow possibly stale reads from this node on this connection."""
    session.readonly = True
    return OK


@_server("readwrite", 1, "fast loading stale", group="cluster", categories=("@connection",))
def readwrite(session, args):
    """Back to linearizable reads on this connection."""
    session.readonly = False
    return OK


# -- CLIENT ---------------------------------------------------------------------------------------
def client_info_line(session) -> bytes:
    now = time.monotonic()
    fields = [
        ("id", session.id), ("addr", session.address), ("laddr", session.local_address),
        ("fd", 0), ("name", session.name.decode("utf-8", "replace")),
        ("age", int(now - session.created)), ("idle", int(now - session.last_active)),
        ("flags", session.flags()), ("db", session.db), ("sub", 0), ("psub", 0), ("ssub", 0),
        ("multi", -1 if session.multi is None else len(session.multi)),
        ("qbuf", 0), ("qbuf-free", 0), ("argv-mem", 0), ("multi-mem", 0), ("rbs", 0), ("rbp", 0),
        ("obl", 0), ("oll", 0), ("omem", 0), ("tot-mem", 0), ("events", "r"),
        ("cmd", session.last_command.decode("utf-8", "replace").lower()),
        ("user", session.user), ("redir", -1), ("resp", session.protocol),
        ("lib-name", session.library_name.decode("utf-8", "replace")),
        ("lib-ver", session.library_version.decode("utf-8", "replace")),
    ]
    return " ".join("%s=%s" % pair for pair in fields).encode()


def _client_id(session, args):
    return session.id


def _client_setname(session, args):
    if not _valid_name(args[0]):
        return ErrorReply(errors.CLIENT_NAME_SPACES)
    session.name = args[0]
    return OK


def _client_getname(session, args):
    return session.name or None


def _client_list(session, args):
    sessions = list(session.node.sessions.values())
    if len(args) >= 2 and args[0].upper() == b"ID":
        wanted = set()
        for raw in args[1:]:
            number = to_int(raw)
            if number is None or number <= 0:
                return ErrorReply("ERR Invalid client ID")
            wanted.add(number)
        sessions = [s for s in sessions if s.id in wanted]
    elif len(args) == 2 and args[0].upper() == b"TYPE":
        kind = args[1].lower()
        if kind not in (b"normal", b"master", b"replica", b"pubsub"):
            return ErrorReply("ERR Unknown client type '%s'" % args[1].decode("utf-8", "replace"))
        sessions = sessions if kind == b"normal" else []
    elif args:
        return ErrorReply(errors.SYNTAX)
    return b"".join(client_info_line(s) + b"\n" for s in sessions)


def _client_info(session, args):
    return client_info_line(session) + b"\n"


def _client_kill(session, args):
    sessions = session.node.sessions
    if len(args) == 1:  # old form: CLIENT KILL addr:port
        target = args[0].decode("utf-8", "replace")
        victims = [s for s in sessions.values() if s.address == target]
        if not victims:
            return ErrorReply(errors.NO_SUCH_CLIENT)
        _kill(session, victims)
        return OK
    if len(args) % 2:
        return ErrorReply(errors.SYNTAX)
    victims = _filter_kill(session, args)
    if isinstance(victims, ErrorReply):
        return victims
    _kill(session, victims)
    return len(victims)


def _filter_kill(session, args):
    skipme = True
    candidates = list(session.node.sessions.values())
    for index in range(0, len(args), 2):
        option, value = args[index].upper(), args[index + 1]
        text = value.decode("utf-8", "replace")
        if option == b"ID":
            number = to_int(value)
            if number is None or number <= 0:
                return ErrorReply("ERR client-id should be greater than 0")
            candidates = [s for s in candidates if s.id == number]
        elif option == b"ADDR":
            candidates = [s for s in candidates if s.address == text]
        elif option == b"LADDR":
            candidates = [s for s in candidates if s.local_address == text]
        elif option == b"USER":
            candidates = [s for s in candidates if s.user == text]
        elif option == b"TYPE":
            candidates = candidates if value.lower() == b"normal" else []
        elif option == b"SKIPME":
            if value.lower() not in (b"yes", b"no"):
                return ErrorReply(errors.SYNTAX)
            skipme = value.lower() == b"yes"
        else:
            return ErrorReply(errors.SYNTAX)
    if skipme:
        candidates = [s for s in candidates if s is not session]
    return candidates


def _kill(session, victims):
    for victim in victims:
        if victim is session:
            session.closing = True  # killing itself: the reply is sent, then the connection closes
        elif victim.kill is not None:
            victim.kill()


def _client_setinfo(session, args):
    option = args[0].upper()
    if option == b"LIB-NAME":
        session.library_name = args[1]
    elif option == b"LIB-VER":
        session.library_version = args[1]
    else:
        return ErrorReply("ERR Unrecognized option '%s'" % args[0].decode("utf-8", "replace"))
    return OK


def _client_no_evict(session, args):
    if args[0].lower() not in (b"on", b"off"):
        return ErrorReply(errors.SYNTAX)
    return OK


def _client_unblock(session, args):
    """CLIENT UNBLOCK id [TIMEOUT|ERROR]: answer a client blocked in BLPOP & co now."""
    if len(args) > 2:
        return ErrorReply("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. "
                          "Try CLIENT HELP.")
    client_id = to_int(args[0])
    if client_id is None:
        return ErrorReply(errors.NOT_INTEGER)
    reason = args[1].upper() if len(args) == 2 else b"TIMEOUT"
    if reason not in (b"TIMEOUT", b"ERROR"):
        return ErrorReply("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    return session.node.blocking.unblock(client_id, as_error=reason == b"ERROR")


def _client_help(session, args):
    return [Simple(line) for line in (
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID", "INFO", "LIST [TYPE normal|master|replica|pubsub] [ID id ...]",
        "KILL <ip:port> | KILL <option> <value> [...]", "GETNAME", "SETNAME <name>",
        "SETINFO <LIB-NAME|LIB-VER> <value>", "NO-EVICT (ON|OFF)",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]", "HELP")]


CLIENT_SUBCOMMANDS = {
    b"id": (2, _client_id),
    b"setname": (3, _client_setname),
    b"getname": (2, _client_getname),
    b"list": (-2, _client_list),
    b"info": (2, _client_info),
    b"kill": (-3, _client_kill),
    b"setinfo": (4, _client_setinfo),
    b"no-evict": (3, _client_no_evict),
    b"unblock": (-3, _client_unblock),
    b"help": (2, _client_help),
}


@_server("client", -2)  # flags are on its subcommands in Redis
def client(session, args):
    """Inspect and manage client connections."""
    return subcommands("CLIENT", CLIENT_SUBCOMMANDS, session, args)

