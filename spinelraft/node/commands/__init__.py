"""Commands that run in the node process rather than the state machine (kind="server")."""
from spinelraft import errors
from spinelraft.errors import CommandError
from spinelraft.replies import ErrorReply


def subcommands(command_name: str, table: dict, session, args):
    """Dispatch `COMMAND SUB args...` through table: sub (bytes, lower) -> (arity, handler).

    Arity follows Redis: it counts the command and the subcommand (CONFIG SET k v is 4).
    """
    sub = args[0].lower()
    entry = table.get(sub)
    if entry is None:
        return ErrorReply(errors.unknown_subcommand(command_name, args[0].decode("utf-8", "replace")))
    arity, handler = entry
    argc = len(args) + 1
    if (arity >= 0 and argc != arity) or (arity < 0 and argc < -arity):
        return ErrorReply(errors.wrong_arity("%s|%s" % (command_name.lower(), sub.decode())))
    try:
        return handler(session, args[1:])
    except CommandError as error:
        return ErrorReply(error.message)


from spinelraft.node.commands import (  # noqa: E402,F401
    cluster,
    connection,
    debug,
    introspection,
    membership,
    replication,
    server,
)
