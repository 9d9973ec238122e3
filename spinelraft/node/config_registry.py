"""CONFIG GET / SET / REWRITE over the Settings object: which names exist, which can change."""
import logging

from spinelraft import config as config_module
from spinelraft import errors
from spinelraft.replies import OK, ErrorReply
from spinelraft.statemachine.glob import match

log = logging.getLogger(__name__)

# name -> (Settings attribute or None for a fixed value, fixed value, mutable)
CONFIG_PARAMETERS = {
    "bind": ("host", None, False),
    "port": ("port", None, False),
    "dir": ("data_dir", None, False),
    "databases": ("databases", None, False),
    "appendfsync": ("appendfsync", None, True),
    "requirepass": ("requirepass", None, True),
    "maxclients": ("maxclients", None, True),
    "timeout": ("timeout", None, True),
    "proto-max-bulk-len": ("proto_max_bulk_len", None, True),
    "slowlog-log-slower-than": ("slowlog_log_slower_than", None, True),
    "slowlog-max-len": ("slowlog_max_len", None, True),
    "loglevel": ("loglevel", None, True),
    "logfile": ("logfile", None, False),
    "appendonly": (None, "yes", False),
    "save": (None, "", False),
    "maxmemory": (None, "0", False),
    "maxmemory-policy": (None, "noeviction", False),
    "cluster-enabled": (None, "no", False),
}


def _value(node, name) -> bytes:
    attribute, fixed, _ = CONFIG_PARAMETERS[name]
    if attribute is None:
        return fixed.encode()
    value = getattr(node.settings, attribute)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return str(value).encode()


def config_get(node, patterns) -> list:
    found = []
    for name in CONFIG_PARAMETERS:
        if any(match(pattern.lower(), name.encode()) for pattern in patterns):
            found.append((name.encode(), _value(node, name)))
    return found


def config_set(node, args):
    """All pairs are validated before any is applied, as Redis 7 does."""
    changes = {}
    for index in range(0, len(args), 2):
        name = args[index].decode("utf-8", "replace").lower()
        entry = CONFIG_PARAMETERS.get(name)
        if entry is None:
            return ErrorReply("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)
        if not entry[2]:
            return ErrorReply("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config" % name)
        changes[entry[0]] = args[index + 1].decode("utf-8", "replace")
    candidate = config_module.Settings(**{f: getattr(node.settings, f) for f in node.settings.__dataclass_fields__})
    try:
        config_module._apply(candidate, {k: v for k, v in changes.items()}, "CONFIG SET")
        config_module.validate(candidate)
    except config_module.ConfigError as error:
        return ErrorReply("ERR CONFIG SET failed - %s" % error)
    for attribute in changes:
        setattr(node.settings, attribute, getattr(candidate, attribute))
    if "appendfsync" in changes:
        node.group.appendfsync = node.settings.appendfsync
    if "loglevel" in changes:
        logging.getLogger().setLevel(node.settings.loglevel.upper())
    log.info("CONFIG SET %s", ", ".join("%s=%s" % (k, "***" if k == "requirepass" else v) for k, v in changes.items()))
    return OK


def config_rewrite(node):
    path = node.settings.source
    if path == "defaults":
        return ErrorReply("ERR The server is running without a config file")
    lines = ["# Rewritten by CONFIG REWRITE"]
    for key, field_ in config_module.FIELD_NAMES.items():
        lines.append("%s = %s" % (key, _toml(getattr(node.settings, field_.name))))
    try:
        with open(path, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as error:
        return ErrorReply("ERR Rewriting config file: %s" % error.strerror)
    return OK


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')
