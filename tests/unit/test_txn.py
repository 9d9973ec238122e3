"""SPINELRAFT.TXN / SCAN / KEYINFO in the state machine (the gRPC Txn, CompareAndSet, Scan, Get)."""
from spinelraft.replies import ErrorReply
from spinelraft.statemachine.commands.txn import txn_keys


def txn(sm, compares=(), success=(), failure=()):
    args = ["SPINELRAFT.TXN", len(compares)]
    for compare in compares:
        args += list(compare)
    for ops in (success, failure):
        args.append(len(ops))
        for op in ops:
            args += [len(op), *op]
    return sm.run(*args)


def version(sm, key):
    return sm.ok("SPINELRAFT.KEYINFO", key)[0][2]


def test_value_compare_chooses_the_branch(sm):
    sm.ok("SET", "k", "a")
    reply = txn(sm, [("VALUE", "k", "EQ", "a")], [("SET", "k", "b")], [("GET", "k")])
    assert reply[0] == 1 and reply[1][0].text == "OK"
    assert sm.ok("GET", "k") == b"b"
    reply = txn(sm, [("VALUE", "k", "EQ", "a")], [("SET", "k", "c")], [("GET", "k")])
    assert reply[:2] == [0, [b"b"]]
    assert reply[2] == [b"k", version(sm, "k")]


def test_missing_key_matches_only_not_equal(sm):
    assert txn(sm, [("VALUE", "nope", "EQ", "")])[0] == 0
    assert txn(sm, [("VALUE", "nope", "NE", "x")])[0] == 1
    assert txn(sm, [("EXISTS", "nope", "EQ", 0)])[0] == 1
    assert txn(sm, [("TTL", "nope", "EQ", -2)])[0] == 1


def test_version_compare_is_the_watch_version(sm):
    sm.ok("SET", "k", "1")
    current = version(sm, "k")
    assert txn(sm, [("VERSION", "k", "EQ", current)], [("INCRBY", "k", 5)])[:2] == [1, [6]]
    assert txn(sm, [("VERSION", "k", "EQ", current)], [("INCRBY", "k", 5)])[0] == 0
    assert version(sm, "k") > current


def test_compared_keys_keep_their_versions(sm):
    sm.ok("SET", "guard", "x")
    before = version(sm, "guard")
    txn(sm, [("VALUE", "guard", "EQ", "x")], [("SET", "other", "1")])
    txn(sm, [("VALUE", "guard", "EQ", "no")], [("SET", "other", "2")])
    assert version(sm, "guard") == before
    assert sm.ok("GET", "other") == b"1"


def test_ttl_compare(sm):
    sm.ok("SET", "k", "v", "PX", 5000)
    assert txn(sm, [("TTL", "k", "GT", 1000)])[0] == 1
    assert txn(sm, [("TTL", "k", "EQ", -1)])[0] == 0
    sm.ok("PERSIST", "k")
    assert txn(sm, [("TTL", "k", "EQ", -1)])[0] == 1


def test_expired_key_counts_as_missing(sm):
    sm.ok("SET", "k", "v", "PX", 10)
    sm.now_ms += 50
    assert txn(sm, [("EXISTS", "k", "EQ", 1)])[0] == 0


def test_failing_op_undoes_the_ops_before_it(sm):
    sm.ok("SET", "a", "old")
    sm.ok("RPUSH", "list", "x")
    sm.ok("SET", "ttl", "t", "PX", 100000)
    reply = txn(sm, [], [("SET", "a", "new"), ("DEL", "ttl"), ("RPUSH", "list", "y"),
                         ("SET", "created", "1"), ("INCR", "list")])
    assert isinstance(reply, ErrorReply) and reply.message.startswith("WRONGTYPE")
    assert sm.ok("GET", "a") == b"old"
    assert sm.ok("LRANGE", "list", 0, -1) == [b"x"]
    assert sm.ok("EXISTS", "created") == 0
    assert 0 < sm.ok("PTTL", "ttl") <= 100000


def test_value_compare_on_a_non_string_is_wrongtype(sm):
    sm.ok("RPUSH", "list", "x")
    reply = txn(sm, [("VALUE", "list", "EQ", "x")], [("SET", "k", "v")])
    assert isinstance(reply, ErrorReply) and reply.message.startswith("WRONGTYPE")
    assert sm.ok("EXISTS", "k") == 0


def test_malformed_transactions_are_refused_before_anything_runs(sm):
    assert sm.error("SPINELRAFT.TXN", 1, "VALUE", "k", "EQ") == "ERR syntax error"
    assert sm.error("SPINELRAFT.TXN", 0, 1, 2, "SET", "k") == "ERR syntax error"
    assert sm.error("SPINELRAFT.TXN", 0, 0, 0, "extra") == "ERR syntax error"
    assert sm.error("SPINELRAFT.TXN", 1, "SIZE", "k", "EQ", 1, 0, 0) == "ERR syntax error"
    assert sm.error("SPINELRAFT.TXN", 1, "VERSION", "k", "EQ", "x", 0, 0).startswith("ERR value is not")
    assert "not allowed" in txn(sm, [], [("SET", "k", "v"), ("FLUSHALL",)]).message
    assert txn(sm, [], [("NOSUCH", "k")]).message.startswith("ERR unknown command")
    assert txn(sm, [], [("GET",)]).message == "ERR wrong number of arguments for 'get' command"
    assert sm.ok("EXISTS", "k") == 0


def test_raw_commands_of_other_families_run_as_ops(sm):
    reply = txn(sm, [("EXISTS", "h", "EQ", 0)], [("HSET", "h", "f", "v"), ("HGET", "h", "f")])
    assert reply[:2] == [1, [1, b"v"]]


def test_txn_keys_names_compares_then_ops():
    argv = [b"SPINELRAFT.TXN", b"1", b"VALUE", b"c", b"EQ", b"x", b"1", b"3", b"MSET", b"a", b"1",
            b"1", b"2", b"DEL", b"c"]
    assert txn_keys(argv) == [b"c", b"a"]


def test_scan_pages_in_byte_order(sm):
    for key in ["b", "a", "c", "ab", "x1", "x2"]:
        sm.ok("SET", key, key.upper())
    cursor, entries = sm.ok("SPINELRAFT.SCAN", "", "LIMIT", 2)
    assert [entry[0] for entry in entries] == [b"a", b"ab"] and cursor
    assert entries[0][:3] == [b"a", b"string", b"A"]
    cursor, entries = sm.ok("SPINELRAFT.SCAN", cursor, "LIMIT", 3)
    assert [entry[0] for entry in entries] == [b"b", b"c", b"x1"]
    cursor, entries = sm.ok("SPINELRAFT.SCAN", cursor, "LIMIT", 3)
    assert [entry[0] for entry in entries] == [b"x2"] and cursor == b""


def test_scan_by_prefix_and_range(sm):
    for key in ["user:1", "user:2", "users", "admin", "zed"]:
        sm.ok("SET", key, "v")
    sm.ok("RPUSH", "user:3", "x")
    _, entries = sm.ok("SPINELRAFT.SCAN", "", "PREFIX", "user:")
    assert [(e[0], e[1], e[2]) for e in entries] == [
        (b"user:1", b"string", b"v"), (b"user:2", b"string", b"v"), (b"user:3", b"list", None)]
    _, entries = sm.ok("SPINELRAFT.SCAN", "", "START", "b", "END", "users")
    assert [e[0] for e in entries] == [b"user:1", b"user:2", b"user:3"]
    _, entries = sm.ok("SPINELRAFT.SCAN", "", "KEYSONLY", "START", "users")
    assert entries == [[b"users", None, None, 0], [b"zed", None, None, 0]]
    assert sm.error("SPINELRAFT.SCAN", "bogus") == "ERR invalid cursor"
    assert sm.error("SPINELRAFT.SCAN", "", "LIMIT", 0).startswith("ERR LIMIT")


def test_keyinfo(sm):
    sm.ok("SET", "s", "v", "PX", 5000)
    sm.ok("SADD", "set", "m")
    rows = sm.ok("SPINELRAFT.KEYINFO", "s", "set", "none")
    assert rows[0][:2] == [b"string", b"v"] and 0 < rows[0][3] <= 5000
    assert rows[1][0] == b"set" and rows[1][1] is None and rows[1][3] == -1
    assert rows[2][0] == b"none" and rows[2][3] == -2
    assert rows[1][2] > rows[0][2] > 0
