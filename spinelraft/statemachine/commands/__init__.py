"""Command families. Importing this package registers every data command in the table."""
from spinelraft.statemachine.commands import (  # noqa: F401  (imported for registration)
    hashes,
    bitmaps,
    keys,
    lists,
    strings,
    zsets,
    server,
    sets,
    streams,
    json,
    txn,
    bloom,
    sort,
    dump,
    memory,
)
