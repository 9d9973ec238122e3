"""Server commands that read or change the data: DBSIZE FLUSHDB FLUSHALL SWAPDB."""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK


def _check_flush_mode(args):
    if len(args) > 1 or (args and args[0].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(errors.SYNTAX)


@command("dbsize", 1, "readonly fast", group="server", categories=("@keyspace",), fan_out="sum")
def dbsize(ctx, args):
    """Number of keys in the selected database (keys past their TTL are not counted)."""
    db = ctx.db
    expired = db.expiry_index.bisect_left((ctx.now_ms + 1,))  # entries with when <= now
    return len(db.data) - expired


@command("flushdb", -1, "write", group="server", categories=("@keyspace", "@dangerous"), fan_out="all-ok")
def flushdb(ctx, args):
    """Remove every key of the selected database."""
    _check_flush_mode(args)
    ctx.machine.counter += 1
    ctx.db.clear(ctx.machine.counter)
    return OK


@command("flushall", -1, "write", group="server", categories=("@keyspace", "@dangerous"), fan_out="all-ok")
def flushall(ctx, args):
    """Remove every key of every database."""
    _check_flush_mode(args)
    ctx.machine.counter += 1
    for db in ctx.machine.dbs:
        db.clear(ctx.machine.counter)
    return OK
