"""DEBUG: test-only hooks for the jepsen suite (jepsen/), refused unless the server runs with
--enable-debug-command, as Redis refuses DEBUG unless enable-debug-command is set.

DEBUG SET-CLOCK-SKEW ms   shift the clock this node's proposer stamps on new entries (expiry
                          times are computed from it) by ms milliseconds; 0 restores it
DEBUG CLOCK-SKEW          the current shift in milliseconds
"""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node.commands import subcommands
from spinelraft.replies import OK, ErrorReply, Simple
from spinelraft.statemachine.args import to_int

NOT_ALLOWED = ("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
               "you can run it from a local connection, otherwise you need to set this option in the "
               "configuration file, and then restart the server.")
MAX_SKEW_MS = 24 * 3600 * 1000


def _set_clock_skew(session, args):
    skew = to_int(args[0])
    if skew is None:
        return ErrorReply(errors.NOT_INTEGER)
    if abs(skew) > MAX_SKEW_MS:
        return ErrorReply("ERR clock skew must be within +/- %d ms" % MAX_SKEW_MS)
    for shard in session.node.shards.values():  # every shard this node proposes to
        shard.proposer.clock_skew_ms = skew
    return OK


def _clock_skew(session, args):
    proposer = session.node.proposer
    return proposer.clock_skew_ms if proposer is not None else 0


def _help(session, args):
    return [Simple(line) for line in (
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "SET-CLOCK-SKEW <milliseconds>",
        "    Shift the clock stamped on entries this node proposes (test-only; 0 restores it).",
        "CLOCK-SKEW",
        "    Return the current clock shift in milliseconds.",
        "HELP")]


DEBUG_SUBCOMMANDS = {
    b"set-clock-skew": (3, _set_clock_skew),
    b"clock-skew": (2, _clock_skew),
    b"help": (2, _help),
}


@command("debug", -2, "admin noscript loading stale", group="server", kind="server",
         categories=("@admin", "@dangerous"))
def debug(session, args):
    """Test-only hooks (clock skew for the jepsen clock nemesis)."""
    if not session.node.settings.enable_debug_command:
        return ErrorReply(NOT_ALLOWED)
    return subcommands("DEBUG", DEBUG_SUBCOMMANDS, session, args)
