"""CONFIG GET / SET / REWRITE over the Settings object: which names exist, which can change."""
import logging
import re

from spinelraft import config as config_module
from spinelraft import errors
from spinelraft.replies import OK, ErrorReply
from spinelraft.statemachine.glob import match

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
_INT_RE = re.compile(r"(0|-?[1-9][0-9]*)\Z")
_MEMORY_RE = re.compile(r"(0|[1-9][0-9]*)(b|k|kb|m|mb|g|gb)?\Z", re.IGNORECASE)
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
                 "g": 1000**3, "gb": 1024**3}

# name -> (Settings attribute or None for a fixed value, fixed value, mutable, value rule)
# Rules: ("enum", choices), ("int", low, high), ("memory", low, high), ("string",).
CONFIG_PARAMETERS = {
    "bind": ("host", None, False, ("string",)),
    "port": ("port", None, False, ("int", 0, 65535)),
    "dir": ("data_dir", None, False, ("string",)),
    "databases": ("databases", None, False, ("int", 1, 256)),
    "appendfsync": ("appendfsync", None, True, ("enum", ("everysec", "always", "no"))),
    "requirepass": ("requirepass", None, True, ("string",)),
    "maxclients": ("maxclients", None, True, ("int", 1, 4294967295)),
    "timeout": ("timeout", None, True, ("int", 0, 2147483647)),
    "proto-max-bulk-len": ("proto_max_bulk_len", None, True, ("memory", 1024 * 1024, 512 * 1024 * 1024)),
    "slowlog-log-slower-than": ("slowlog_log_slower_than", None, True, ("int", -1, INT64_MAX)),
    "slowlog-max-len": ("slowlog_max_len", None, True, ("int", 0, INT64_MAX)),
    "loglevel": ("loglevel", None, True, ("enum", config_module.LOG_LEVELS)),
    "logfile": ("logfile", None, False, ("string",)),
    "appendonly": (None, "yes", False, ("string",)),
    "save": (None, "", False, ("string",)),
    "maxmemory": (None, "0", False, ("string",)),
    "maxmemory-policy": (None, "noeviction", False, ("string",)),
    "cluster-enabled": (None, "no", False, ("string",)),
}


def _value(node, name) -> bytes:
    attribute, fixed = CONFIG_PARAMETERS[name][:2]
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


def _failed(name: str, reason: str) -> ErrorReply:
    return ErrorReply("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, reason))


def _parse(rule, text: str):
    """The value for a rule, or raise ValueError with Redis's reason."""
    kind = rule[0]
    if kind == "string":
        return text
    if kind == "enum":
        if text.lower() not in rule[1]:
            raise ValueError("argument(s) must be one of the following: %s" % ", ".join(rule[1]))
        return text.lower()
    if kind == "int":
        if not _INT_RE.match(text):
            raise ValueError("argument couldn't be parsed into an integer")
        number = int(text)
    else:
        found = _MEMORY_RE.match(text)
        if not found:
            raise ValueError("argument must be a memory value")
        number = int(found.group(1)) * _MEMORY_UNITS[(found.group(2) or "").lower()]
    if not rule[1] <= number <= rule[2]:
        raise ValueError("argument must be between %d and %d inclusive" % (rule[1], rule[2]))
    return number


def config_set(node, args):
    """Names are checked first, then values; nothing changes unless all are valid (Redis 7)."""
    names = [args[index].decode("utf-8", "replace").lower() for index in range(0, len(args), 2)]
    seen = set()
    for name in names:
        if name not in CONFIG_PARAMETERS:
            return ErrorReply("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)
        if not CONFIG_PARAMETERS[name][2]:
            return _failed(name, "can't set immutable config")
        if name in seen:
            return _failed(name, "duplicate parameter")
        seen.add(name)
    changes = {}
    for name, raw in zip(names, args[1::2]):
        try:
            changes[CONFIG_PARAMETERS[name][0]] = _parse(CONFIG_PARAMETERS[name][3], raw.decode("utf-8", "replace"))
        except ValueError as reason:
            return _failed(name, str(reason))
    for attribute, value in changes.items():
        setattr(node.settings, attribute, value)
    if "appendfsync" in changes:
        for shard in node.shards.values():
            shard.group.appendfsync = node.settings.appendfsync
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
