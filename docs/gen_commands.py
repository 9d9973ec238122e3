"""Generate docs/commands.md from the command table: python docs/gen_commands.py [--check]."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import spinelraft.node.commands  # noqa: E402,F401  (registers connection/server commands)
import spinelraft.statemachine.commands  # noqa: E402,F401  (registers data commands)
from spinelraft.command_table import COMMANDS  # noqa: E402

# Commands that differ from Redis 7.0 in a way a user can see (everything else: "done").
STATUS_NOTES = {
    "object": "done; FREQ answers the no-LFU error, IDLETIME is always 0",
    "memory": "USAGE DOCTOR MALLOC-STATS PURGE HELP; STATS missing",
    "touch": "done; access times are not tracked",
    "hscan": "done; also accepts NOVALUES (Redis 7.4)",
    "pfcount": "done; the cached count is not written back (it is a read)",
    "wait": "done; counts replicas whose Raft log holds the commit index",
    "replicaof": "NO ONE only (membership is Raft's)",
    "slaveof": "NO ONE only (membership is Raft's)",
    "failover": "done; FORCE/ABORT/TIMEOUT accepted and ignored",
}
PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.md")


def render() -> str:
    lines = [
        "# Commands",
        "",
        "Generated from the command table by `python docs/gen_commands.py`; do not edit by hand.",
        "`kind` says where a command runs: `data` commands are applied by the replicated state",
        "machine (writes go through the Raft log), `server` commands run in the node process.",
        "",
        "%d commands." % len(COMMANDS),
        "",
        "| command | group | status | arity | kind | write | keys (first,last,step) | ACL categories | summary |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in sorted(COMMANDS.values(), key=lambda s: (s.group, s.name)):
        keys = "numkeys" if spec.keys_fn else "%d,%d,%d" % (spec.first_key, spec.last_key, spec.key_step)
        lines.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s |" % (
            spec.name.upper(), spec.group, STATUS_NOTES.get(spec.name, "done"), spec.arity, spec.kind,
            "yes" if spec.is_write else "",
            keys, " ".join(spec.acl_categories), spec.summary.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def main():
    text = render()
    if "--check" in sys.argv:
        with open(PATH) as handle:
            if handle.read() != text:
                print("docs/commands.md is out of date: run python docs/gen_commands.py")
                return 1
        return 0
    with open(PATH, "w") as handle:
        handle.write(text)
    print("wrote %s (%d commands)" % (PATH, len(COMMANDS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
