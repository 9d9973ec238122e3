"""Generic key commands (db.c, expire.c): DEL EXISTS TYPE and, later, the rest of the keyspace."""
from spinelraft.command_table import command
from spinelraft.statemachine.values import type_name


@command("del", -2, "write", keys=(1, -1, 1), group="generic")
def del_(ctx, args):
    """Delete keys; returns how many existed."""
    removed = 0
    for key in args:
        if ctx.get(key) is not None and ctx.delete(key):
            removed += 1
    return removed


@command("exists", -2, "readonly fast", keys=(1, -1, 1), group="generic")
def exists(ctx, args):
    """Count how many of the keys exist (a key named twice counts twice)."""
    return sum(1 for key in args if ctx.get(key) is not None)


@command("type", 2, "readonly fast", keys=(1, 1, 1), group="generic")
def type_(ctx, args):
    """The type of the value at key."""
    from spinelraft.replies import Simple

    value = ctx.get(args[0])
    return Simple("none" if value is None else type_name(value).decode())
