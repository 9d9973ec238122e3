"""COMMAND and its subcommands: everything here is read off the one command table."""
from spinelraft import errors
from spinelraft.command_table import COMMANDS, command, lookup
from spinelraft.node.commands import subcommands
from spinelraft.replies import ErrorReply, Map, SetReply, Simple
from spinelraft.statemachine.glob import match


# The order in which Redis prints flags and ACL categories (its bit order), not alphabetical.
FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
              "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
              "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys", "protected",
              "module_getkeys", "module_no_cluster", "no_async_loading", "no_multi",
              "movablekeys", "allow_busy")
CATEGORY_ORDER = ("@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash",
                  "@string", "@bitmap", "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin",
                  "@fast", "@slow", "@blocking", "@dangerous", "@connection", "@transaction",
                  "@scripting")


def _in_redis_order(names, order) -> list:
    rank = {name: index for index, name in enumerate(order)}
    return sorted(names, key=lambda name: (rank.get(name, len(order)), name))


def _flags(spec) -> list:
    flags = set(spec.flags)
    if spec.keys_fn is not None:
        flags.add("movablekeys")
    return _in_redis_order(flags, FLAG_ORDER)


def _key_specs(spec) -> list:
    if spec.keys_fn is not None:
        return [Map([
            (b"flags", [Simple("RW") if spec.is_write else Simple("RO")]),
            (b"begin_search", Map([(b"type", b"unknown"), (b"spec", Map([]))])),
            (b"find_keys", Map([(b"type", b"unknown"), (b"spec", Map([]))])),
        ])]
    if spec.first_key <= 0:
        return []
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    return [Map([
        (b"flags", [Simple("RW" if spec.is_write else "RO"), Simple("update" if spec.is_write else "access")]),
        (b"begin_search", Map([(b"type", b"index"), (b"spec", Map([(b"index", spec.first_key)]))])),
        (b"find_keys", Map([(b"type", b"range"), (b"spec", Map([
            (b"lastkey", last), (b"keystep", spec.key_step), (b"limit", 0)]))])),
    ])]


def command_info(spec) -> list:
    return [
        spec.name.encode(),
        spec.arity,
        SetReply(Simple(flag) for flag in _flags(spec)),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply(Simple(category) for category in _in_redis_order(spec.acl_categories, CATEGORY_ORDER)),
        [],
        _key_specs(spec),
        [],
    ]


def command_docs(spec) -> Map:
    return Map([
        (b"summary", spec.summary.encode()),
        (b"since", b"1.0.0"),
        (b"group", spec.group.encode()),
    ])


def _count(session, args):
    return len(COMMANDS)


def _info(session, args):
    if not args:
        return [command_info(spec) for spec in COMMANDS.values()]
    return [command_info(spec) if spec else None for spec in (lookup(name) for name in args)]


def _docs(session, args):
    specs = COMMANDS.values() if not args else [s for s in (lookup(n) for n in args) if s]
    return Map((spec.name.encode(), command_docs(spec)) for spec in specs)


def _list(session, args):
    names = [spec.name.encode() for spec in COMMANDS.values()]
    if not args:
        return names
    if len(args) != 3 or args[0].upper() != b"FILTERBY":
        return ErrorReply(errors.SYNTAX)
    kind, value = args[1].upper(), args[2]
    if kind == b"PATTERN":
        return [name for name in names if match(value.lower(), name)]
    if kind == b"ACLCAT":
        category = "@" + value.decode("utf-8", "replace").lower()
        return [s.name.encode() for s in COMMANDS.values() if category in s.acl_categories]
    if kind == b"MODULE":
        return []
    return ErrorReply(errors.SYNTAX)


def _getkeys(session, args):
    spec = lookup(args[0])
    if spec is None:
        return ErrorReply("ERR Invalid command specified")
    if spec.first_key <= 0 and spec.keys_fn is None:
        return ErrorReply("ERR The command has no key arguments")
    if not spec.check_arity(len(args)):
        return ErrorReply("ERR Invalid number of arguments specified for command")
    keys = spec.keys(list(args))
    if not keys:
        return ErrorReply("ERR Invalid arguments specified for command")
    return keys


def _help(session, args):
    return [Simple(line) for line in (
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)", "COUNT", "DOCS [<command-name> ...]", "GETKEYS <full-command>",
        "INFO [<command-name> ...]", "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
        "HELP")]


COMMAND_SUBCOMMANDS = {
    b"count": (2, _count),
    b"info": (-2, _info),
    b"docs": (-2, _docs),
    b"list": (-2, _list),
    b"getkeys": (-4, _getkeys),
    b"help": (2, _help),
}


@command("command", -1, "loading stale", group="server", kind="server", categories=("@connection",))
def command_(session, args):
    """Describe the commands this server knows (read from the command table)."""
    if not args:
        return _info(session, [])
    return subcommands("COMMAND", COMMAND_SUBCOMMANDS, session, args)
