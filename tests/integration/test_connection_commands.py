"""Connection and server commands against a real server process, compared with Redis 7.0:
PING ECHO SELECT QUIT RESET HELLO CLIENT COMMAND INFO DBSIZE FLUSHDB FLUSHALL TIME CONFIG SLOWLOG."""
import time

import pytest
import redis

from tests.integration.resp_socket import RawConnection, RespError, encode, exchange_all

# Sequences whose replies are fully deterministic: each runs on a fresh connection to both
# servers and the bytes must be identical.
SAME_AS_REDIS = [
    [("PING",), ("PING", "x"), ("PING", "a", "b"), ("ECHO",), ("ECHO", "hi"), ("ECHO", "a", "b")],
    [("SELECT", "15"), ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "abc"), ("SELECT", "1.5"),
     ("SELECT",), ("SELECT", "0")],
    [("HELLO", "4"), ("HELLO", "abc"), ("HELLO", "1"), ("HELLO", "2", "SETNAME"),
     ("HELLO", "2", "SETNAME", "a b"), ("HELLO", "3", "AUTH", "default"), ("HELLO", "2", "FOO"),
     ("HELLO", "2", "AUTH", "bob", "x"), ("HELLO", "2", "setname", "x", "extra")],
    [("AUTH", "x"), ("AUTH", "default", "x"), ("AUTH", "bob", "x"), ("AUTH", "a", "b", "c")],
    [("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "foo"), ("CLIENT", "GETNAME"),
     ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "FOO"), ("CLIENT",),
     ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "99999"),
     ("CLIENT", "KILL", "ID", "abc"), ("CLIENT", "KILL", "FOO", "bar"), ("CLIENT", "KILL", "ID"),
     ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "0"),
     ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "ID", "abc"), ("CLIENT", "LIST", "FOO"),
     ("CLIENT", "ID", "x")],
    [("COMMAND", "COUNT", "x"), ("COMMAND", "FOO"), ("COMMAND", "GETKEYS"),
     ("COMMAND", "GETKEYS", "GET"), ("COMMAND", "GETKEYS", "GET", "k"),
     ("COMMAND", "GETKEYS", "GET", "k", "extra"), ("COMMAND", "GETKEYS", "PING", "x"),
     ("COMMAND", "GETKEYS", "NOPE", "x"), ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"),
     ("COMMAND", "GETKEYS", "SET", "k"), ("COMMAND", "INFO", "nope"), ("COMMAND", "INFO", "get"),
     ("COMMAND", "INFO", "echo", "multi", "exec", "hello", "select", "auth", "get"),
     ("COMMAND", "DOCS", "nope"),
     ("COMMAND", "LIST", "FILTERBY", "FOO", "x")],
    [("CONFIG", "SET", "nope", "1"), ("CONFIG", "SET", "appendfsync", "bogus"),
     ("CONFIG", "SET", "slowlog-log-slower-than", "abc"), ("CONFIG", "SET", "slowlog-log-slower-than", "-5"),
     ("CONFIG", "GET"), ("CONFIG", "SET", "x"), ("CONFIG", "GET", "nope"),
     ("CONFIG", "SET", "slowlog-max-len", "-1"), ("CONFIG", "SET", "maxclients", "0"),
     ("CONFIG", "SET", "timeout", "1.5"), ("CONFIG", "FOO"),
     ("CONFIG", "SET", "databases", "3"), ("CONFIG", "SET", "databases", "3", "nope", "1"),
     ("CONFIG", "SET", "timeout", "0", "timeout", "1"), ("CONFIG", "SET", "timeout", "-1"),
     ("CONFIG", "SET", "proto-max-bulk-len", "abc"), ("CONFIG", "GET", "slowlog-max-len")],
    [("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "x"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "FOO"),
     ("SLOWLOG",), ("SLOWLOG", "RESET", "1")],
    [("DBSIZE", "x"), ("FLUSHDB", "x"), ("FLUSHALL", "x"), ("TIME", "x"), ("LASTSAVE", "x"),
     ("QUIT", "x")],
    [("RESET", "x"), ("MULTI",), ("RESET",), ("EXEC",), ("SELECT", "3"), ("RESET",),
     ("CLIENT", "GETNAME")],
    [("SELECT", "9"), ("SET", "cc:db", "nine"), ("SELECT", "8"), ("GET", "cc:db"), ("SELECT", "9"),
     ("GET", "cc:db"), ("DEL", "cc:db")],
    [("QUIT",), ("PING",)],
]


def _conversation(commands) -> bytes:
    return b"".join(encode(*command) for command in commands)


def test_replies_match_redis_server(shared_server, redis_server):
    requests = [_conversation(commands) for commands in SAME_AS_REDIS]
    ours = exchange_all(shared_server.port, requests)
    theirs = exchange_all(redis_server.port, requests)
    for commands, our_reply, their_reply in zip(SAME_AS_REDIS, ours, theirs):
        assert our_reply == their_reply, commands


# -- PING ECHO SELECT QUIT RESET ----------------------------------------------------------------
def test_ping_echo(r, shared_server):
    assert r.ping() is True
    assert r.echo("hello") == b"hello"
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'ping'"):
        r.execute_command("PING", "a", "b")
    with RawConnection(shared_server.port) as conn:
        assert conn.call("PING", "msg") == b"msg"
        assert conn.call("ECHO", b"\x00\xff bin") == b"\x00\xff bin"


def test_select_sixteen_databases(r, shared_server):
    for index in range(16):
        client = shared_server.client(db=index)
        client.set("which", index)
        client.close()
    for index in range(16):
        client = shared_server.client(db=index)
        assert client.get("which") == str(index).encode()
        assert client.dbsize() == 1
        client.close()
    with RawConnection(shared_server.port) as conn:
        assert conn.call("SELECT", "16") == "ERR DB index is out of range"
        assert conn.call("SELECT", "-1") == "ERR DB index is out of range"
        assert conn.call("SELECT", "x") == "ERR value is not an integer or out of range"
        assert conn.call("SELECT", "15") == "OK"
        assert conn.call("GET", "which") == b"15"


def test_quit_replies_ok_then_closes(shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.send(encode("QUIT") + encode("PING"))
        assert conn.read_all_until_closed() == b"+OK\r\n"


def test_nothing_after_quit_runs_even_behind_pending_writes(r, shared_server):
    """QUIT waits for the write before it (a Raft entry), and then nothing after it runs."""
    with RawConnection(shared_server.port) as conn:
        conn.send(encode("SET", "q", "1") + encode("QUIT") + encode("SET", "q", "2") + encode("SET", "q2", "x"))
        assert conn.read_all_until_closed() == b"+OK\r\n+OK\r\n"
    assert r.get("q") == b"1" and r.exists("q2") == 0


def test_reset_restores_connection_defaults(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.call("SELECT", "5")
        conn.call("CLIENT", "SETNAME", "before")
        conn.call("HELLO", "3")
        conn.call("MULTI")
        assert conn.call("RESET") == "RESET"
        assert conn.call("CLIENT", "GETNAME") is None  # RESP2 again: a $-1 null
        info = conn.call("CLIENT", "INFO").decode()
        assert " db=0 " in info and " resp=2 " in info and " multi=-1 " in info
        assert conn.call("EXEC") == "ERR EXEC without MULTI"


# -- HELLO -----------------------------------------------------------------------------------------
def test_hello_2_and_3(shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.send(encode("HELLO", "2"))
        assert conn.read_line().startswith(b"*14")
        conn.buffer = b""
        conn.send(encode("HELLO", "3"))
        reply = conn.read_reply()
        assert isinstance(reply, dict)
        assert reply[b"server"] == b"redis" and reply[b"version"] == b"7.0.15"
        assert reply[b"proto"] == 3 and reply[b"mode"] == b"standalone"
        assert reply[b"role"] == b"master" and reply[b"modules"] == []
        assert reply[b"id"] == conn.call("CLIENT", "ID")
        conn.send(encode("GET", "no:such:key"))
        assert conn.read_line() == b"_"  # the RESP3 null
        assert conn.call("HELLO", "4") == RespError("NOPROTO unsupported protocol version")
        assert conn.call("HELLO") [b"proto"] == 3  # no version: show the current one


def test_hello_auth_and_setname_options(shared_server):
    with RawConnection(shared_server.port) as conn:
        reply = conn.call("HELLO", "3", "AUTH", "default", "any", "SETNAME", "conn-a")
        assert reply[b"proto"] == 3
        assert conn.call("CLIENT", "GETNAME") == b"conn-a"
        assert conn.call("HELLO", "2", "SETNAME", "bad name") == \
            "ERR Client names cannot contain spaces, newlines or special characters."
        assert conn.call("CLIENT", "GETNAME") == b"conn-a"


def test_redis_py_resp3_client(shared_server):
    client = shared_server.client(protocol=3)
    try:
        assert client.ping() is True
        client.hset("h3", mapping={"a": "1"})
        assert client.hgetall("h3") == {b"a": b"1"}
    finally:
        client.delete("h3")
        client.close()


# -- CLIENT ----------------------------------------------------------------------------------------
def _field(info_line: bytes, name: str) -> str:
    for part in info_line.decode().split():
        key, _, value = part.partition("=")
        if key == name:
            return value
    raise AssertionError("no %s in %r" % (name, info_line))


def test_client_id_setname_getname_list_info(shared_server):
    with RawConnection(shared_server.port) as a, RawConnection(shared_server.port) as b:
        id_a, id_b = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
        assert isinstance(id_a, int) and id_b > id_a
        assert a.call("CLIENT", "GETNAME") is None
        assert a.call("CLIENT", "SETNAME", "alpha") == "OK"
        assert a.call("CLIENT", "GETNAME") == b"alpha"
        info = a.call("CLIENT", "INFO")
        assert info.endswith(b"\n")
        assert _field(info, "id") == str(id_a) and _field(info, "name") == "alpha"
        assert _field(info, "laddr") == "127.0.0.1:%d" % shared_server.port
        lines = b.call("CLIENT", "LIST").splitlines()
        assert {_field(line, "id") for line in lines} >= {str(id_a), str(id_b)}
        only_b = b.call("CLIENT", "LIST", "ID", str(id_b))
        assert only_b.count(b"\n") == 1 and _field(only_b, "id") == str(id_b)
        assert _field(only_b, "cmd") == "client"


def test_client_kill_by_id_and_addr(shared_server):
    with RawConnection(shared_server.port) as killer, RawConnection(shared_server.port) as by_id, \
            RawConnection(shared_server.port) as by_addr, RawConnection(shared_server.port) as old_form:
        victim_id = by_id.call("CLIENT", "ID")
        victim_addr = _field(by_addr.call("CLIENT", "INFO"), "addr")
        old_addr = _field(old_form.call("CLIENT", "INFO"), "addr")
        assert killer.call("CLIENT", "KILL", "ID", str(victim_id)) == 1
        assert by_id.read_all_until_closed() == b""
        assert killer.call("CLIENT", "KILL", "ADDR", victim_addr) == 1
        assert by_addr.read_all_until_closed() == b""
        assert killer.call("CLIENT", "KILL", old_addr) == "OK"
        assert old_form.read_all_until_closed() == b""
        assert killer.call("CLIENT", "KILL", "ID", str(victim_id)) == 0
        assert killer.call("CLIENT", "KILL", victim_addr) == "ERR No such client"
        assert killer.call("PING") == "PONG"


def test_client_kill_self(shared_server):
    with RawConnection(shared_server.port) as conn:
        own_id = conn.call("CLIENT", "ID")
        assert conn.call("CLIENT", "KILL", "ID", str(own_id)) == 0  # SKIPME yes by default
        conn.send(encode("CLIENT", "KILL", "ID", str(own_id), "SKIPME", "no") + encode("PING"))
        assert conn.read_all_until_closed() == b":1\r\n"
    with RawConnection(shared_server.port) as conn:  # behind a pending write
        own_id = conn.call("CLIENT", "ID")
        conn.send(encode("SET", "ks", "1") + encode("CLIENT", "KILL", "ID", str(own_id), "SKIPME", "no")
                  + encode("SET", "ks", "2"))
        assert conn.read_all_until_closed() == b"+OK\r\n:1\r\n"
    with RawConnection(shared_server.port) as conn:
        assert conn.call("GET", "ks") == b"1"
        conn.call("DEL", "ks")


# -- COMMAND ---------------------------------------------------------------------------------------
def test_command_introspection(r, shared_server):
    table = r.command()  # redis-py parses the full COMMAND reply
    assert table["get"]["arity"] == 2
    assert table["get"]["flags"] == ["readonly", "fast"]
    assert table["set"]["first_key_pos"] == 1
    assert table["mset"]["step_count"] == 2
    assert r.command_count() == len(table)
    assert {name.decode() for name in r.command_list()} == set(table)
    assert r.command_getkeys("MSET", "a", "1", "b", "2") == ["a", "b"]
    assert r.command_getkeys("ZUNIONSTORE", "d", "2", "x", "y") == ["d", "x", "y"]
    assert b"zrange" in r.command_list(pattern="zr*")
    assert all(name.startswith(b"zr") for name in r.command_list(pattern="zr*"))
    assert set(r.command_list(category="transaction")) >= {b"multi", b"exec", b"watch"}
    with RawConnection(shared_server.port) as conn:
        docs = conn.call("COMMAND", "DOCS", "get", "nosuch")
        assert docs[0] == b"get" and docs[1][docs[1].index(b"group") + 1] == b"string"
        assert len(docs) == 2


# -- INFO ------------------------------------------------------------------------------------------
def test_info_sections(r, shared_server):
    r.set("k1", "v")
    r.set("k2", "v", ex=100)
    full = r.info()
    for name in ("redis_version", "tcp_port", "connected_clients", "used_memory",
                 "used_memory_rss", "loading", "appendfsync", "total_commands_processed",
                 "role", "shard0_term", "shard0_role", "shard0_commit_index", "shard0_applied_index"):
        assert name in full, name
    assert full["tcp_port"] == shared_server.port
    assert full["db0"] == {"keys": 2, "expires": 1, "avg_ttl": 0}
    assert full["role"] == "master"
    assert full["process_id"] == shared_server.process.pid
    raft = r.info("raft")
    assert raft["shard0_role"] == "leader" and raft["shard0_term"] >= 1
    assert raft["shard0_applied_index"] >= 1
    assert raft["shard0_commit_index"] >= raft["shard0_applied_index"]
    assert set(r.info("persistence")) >= {"aof_enabled", "snapshots_completed", "rdb_last_save_time"}
    assert set(r.info("stats")) >= {"total_connections_received", "total_commands_processed"}
    assert set(r.info("clients")) >= {"connected_clients", "maxclients"}
    assert r.info("memory")["used_memory"] > 0
    assert r.info("replication")["connected_slaves"] == 0
    assert "db0" in r.info("keyspace")
    assert "cmdstat_set" in r.info("commandstats")
    assert "redis_version" not in r.info("keyspace")
    with RawConnection(shared_server.port) as conn:
        text = conn.call("INFO", "server")
    assert text.startswith(b"# Server\r\nredis_version:7.0.15\r\n")


# -- keyspace-wide commands ------------------------------------------------------------------------
def test_dbsize_flushdb_flushall(r, shared_server):
    other = shared_server.client(db=3)
    try:
        r.mset({"a": 1, "b": 2, "c": 3})
        other.set("x", 1)
        assert r.dbsize() == 3 and other.dbsize() == 1
        assert r.flushdb() is True
        assert r.dbsize() == 0 and other.dbsize() == 1
        r.set("a", 1)
        assert r.flushall(asynchronous=False) is True
        assert r.dbsize() == 0 and other.dbsize() == 0
        assert r.flushdb(asynchronous=True) is True
    finally:
        other.close()


def test_time(r):
    seconds, micros = r.time()
    assert abs(seconds + micros / 1e6 - time.time()) < 5
    assert 0 <= micros < 1_000_000


# -- CONFIG and SLOWLOG (restored afterwards: the server is shared) -------------------------------
@pytest.fixture
def restore_config(r):
    saved = r.config_get("*")
    yield r
    for name in ("appendfsync", "slowlog-log-slower-than", "slowlog-max-len", "timeout"):
        r.config_set(name, saved[name])


def test_config_get_set(restore_config):
    r = restore_config
    assert r.config_get("appendfsync") == {"appendfsync": "always"}
    assert r.config_set("appendfsync", "everysec") is True
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    assert r.info("persistence")["appendfsync"] == "everysec"
    assert r.config_set("appendfsync", "ALWAYS") is True
    assert r.config_get("appendfsync") == {"appendfsync": "always"}
    r.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "2500", "slowlog-max-len", "64")
    assert r.config_get("slowlog*") == {"slowlog-log-slower-than": "2500", "slowlog-max-len": "64"}
    with pytest.raises(redis.ResponseError) as failure:
        r.config_set("no-such-option", "1")
    assert str(failure.value) == "Unknown option or number of arguments for CONFIG SET - 'no-such-option'"
    with pytest.raises(redis.ResponseError) as failure:
        r.execute_command("CONFIG", "SET", "timeout", "5", "appendfsync", "sometimes")
    assert "argument(s) must be one of the following: everysec, always, no" in str(failure.value)
    assert r.config_get("timeout") == {"timeout": "0"}  # nothing applied when one value is bad
    assert r.config_get("no-such-*") == {}
    assert set(r.config_get("*")) >= {"port", "databases", "dir", "maxclients"}


def test_slowlog(restore_config, shared_server):
    r = restore_config
    r.config_set("slowlog-log-slower-than", 0)
    assert r.slowlog_reset() is True
    r.set("slow:key", "v")
    client = shared_server.client()
    client.client_setname("slowpoke")
    client.get("slow:key")
    client.close()
    entries = r.slowlog_get(10)
    assert r.slowlog_len() >= 2
    commands = [entry["command"] for entry in entries]
    assert b"GET slow:key" in commands and b"CLIENT SETNAME slowpoke" in commands
    newest_first = [entry["id"] for entry in entries]
    assert newest_first == sorted(newest_first, reverse=True)
    get_entry = entries[commands.index(b"GET slow:key")]
    assert get_entry["client_name"] == b"slowpoke"
    assert get_entry["client_address"].startswith(b"127.0.0.1:")
    assert get_entry["duration"] >= 0 and abs(get_entry["start_time"] - time.time()) < 60
    assert len(r.slowlog_get(1)) == 1
    r.config_set("slowlog-log-slower-than", -1)
    assert r.slowlog_reset() is True
    r.set("fast", 1)
    assert r.slowlog_len() == 0
