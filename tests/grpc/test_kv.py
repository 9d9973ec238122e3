"""KV over gRPC against a real server: every RPC, RESP interplay, Txn conflicts."""
import threading

import grpc
import pytest

from spinelraft.client import (
    SERIALIZABLE,
    SpinelRaftError,
    command,
    delete,
    exists,
    get,
    incr,
    put,
    value_equals,
    version_equals,
)
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb


def test_set_get_round_trip_is_visible_over_resp(client, grpc_server):
    assert client.set(b"k", b"v") is True
    assert client.get(b"k") == b"v"
    assert client.get(b"missing") is None
    resp = grpc_server.client()
    assert resp.get("k") == b"v"
    resp.set("from-resp", "x")
    assert client.get("from-resp") == b"x"
    assert client.get("from-resp", consistency=SERIALIZABLE) == b"x"
    resp.close()


def test_set_options(client, grpc_server):
    assert client.set("k", "1", nx=True) is True
    assert client.set("k", "2", nx=True) is False
    assert client.set("absent", "2", xx=True) is False
    assert client.set("k", "3", xx=True, return_previous=True) == (True, b"1")
    assert client.set("k", "4", nx=True, return_previous=True) == (False, b"3")
    assert client.set("new", "n", return_previous=True) == (True, None)
    client.set("ttl", "v", ttl_ms=60000)
    info = client.get_info("ttl")
    assert info.value == b"v" and 0 < info.ttl_ms <= 60000
    client.set("ttl", "w", keep_ttl=True)
    assert client.get_info("ttl").ttl_ms > 0
    client.set("ttl", "x")
    assert client.get_info("ttl").ttl_ms == -1
    assert client.get_info("nothing") .ttl_ms == -2


def test_delete_mget_mset_incr(client):
    assert client.mset({"a": "1", "b": "2"}) is True
    assert client.mget(["a", "nope", "b"]) == [b"1", None, b"2"]
    assert client.mset({"a": "x", "c": "3"}, only_if_none_exist=True) is False
    assert client.mset({"c": "3", "d": "4"}, only_if_none_exist=True) is True
    assert client.delete("a", "b", "nope") == 2
    assert client.incr("n") == 1
    assert client.incr("n", 41) == 42
    assert client.incr("n", -50) == -8
    assert client.mget([]) == []


def test_incr_errors_name_the_stored_value(client):
    client.set("text", "abc")
    with pytest.raises(SpinelRaftError) as error:
        client.incr("text")
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.value.message == "ERR value is not an integer or out of range"
    client.set("big", str(2**63 - 1))
    with pytest.raises(SpinelRaftError) as error:
        client.incr("big")
    assert error.value.code == grpc.StatusCode.OUT_OF_RANGE


def test_get_of_a_non_string_is_failed_precondition(client):
    client.execute("RPUSH", "list", "x")
    for call in (lambda: client.get("list"), lambda: client.get_info("list")):
        with pytest.raises(SpinelRaftError) as error:
            call()
        assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert error.value.message.startswith("WRONGTYPE")


def test_compare_and_set(client):
    result = client.compare_and_set("k", "v1", expected_exists=False)
    assert result.swapped and result.value == b"v1"
    assert not client.compare_and_set("k", "v2", expected_exists=False).swapped
    failed = client.compare_and_set("k", "v2", expected_value="wrong")
    assert (failed.swapped, failed.value) == (False, b"v1")
    assert client.compare_and_set("k", "v2", expected_value="v1").swapped
    version = client.get_info("k").version
    assert failed.version < version
    swapped = client.compare_and_set("k", "v3", expected_version=version, ttl_ms=60000)
    assert swapped.swapped and swapped.version > version
    assert not client.compare_and_set("k", "v4", expected_version=version).swapped
    assert client.get("k") == b"v3" and client.get_info("k").ttl_ms > 0


def test_concurrent_compare_and_set_loses_no_update(grpc_server, client):
    client.set("counter", "0")
    per_thread, threads = 15, 4

    def bump():
        with grpc_server.grpc_client() as own:
            for _ in range(per_thread):
                for _attempt in range(200):
                    info = own.get_info("counter")
                    if own.compare_and_set("counter", str(int(info.value) + 1),
                                           expected_version=info.version).swapped:
                        break

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert client.get("counter") == str(per_thread * threads).encode()


def test_scan_by_prefix_range_and_pages(client):
    keys = ["user:%03d" % index for index in range(25)] + ["admin", "zoo"]
    client.mset({key: key.upper() for key in keys})
    client.execute("SADD", "user:set", "m")
    entries = list(client.scan(prefix="user:", page_size=7))
    assert [e.key for e in entries] == sorted(k.encode() for k in keys[:25]) + [b"user:set"]
    assert entries[0].type == "string" and entries[0].value == b"USER:000" and entries[0].version > 0
    assert entries[-1].type == "set" and entries[-1].value == b""
    ranged = [e.key for e in client.scan(start="user:010", end="user:013", keys_only=True)]
    assert ranged == [b"user:010", b"user:011", b"user:012"]
    assert [e.key for e in client.scan(start="user:999")] == [b"user:set", b"zoo"]
    assert len(list(client.scan())) == 28


def test_scan_limit_is_checked(stubs, client):
    with pytest.raises(grpc.RpcError) as error:
        stubs.kv.Scan(pb.ScanRequest(limit=10_001))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_txn_branches_and_versions(client):
    client.set("balance", "100")
    reply = client.txn([value_equals("balance", "100")],
                       [incr("balance", -30), put("log", "paid"), get("balance")],
                       [get("balance")])
    assert reply.succeeded
    assert [r.WhichOneof("kind") for r in reply.results] == ["integer", "simple", "bulk"]
    assert reply.results[0].integer == 70 and reply.results[2].bulk == b"70"
    versions = {kv.key: kv.version for kv in reply.versions}
    assert set(versions) == {b"balance", b"log"}
    assert versions[b"balance"] == client.get_info("balance").version
    again = client.txn([value_equals("balance", "100")], [incr("balance", -30)], [get("balance")])
    assert not again.succeeded and again.results[0].bulk == b"70"


def test_txn_version_conflict_only_one_wins(client):
    client.set("seat", "free")
    version = client.get_info("seat").version
    first = client.txn([version_equals("seat", version)], [put("seat", "alice")])
    second = client.txn([version_equals("seat", version)], [put("seat", "bob")])
    assert (first.succeeded, second.succeeded) == (True, False)
    assert client.get("seat") == b"alice"


def test_concurrent_txns_on_one_version(grpc_server, client):
    client.set("lock", "none")
    version = client.get_info("lock").version
    results = []

    def claim(name):
        with grpc_server.grpc_client() as own:
            results.append(own.txn([version_equals("lock", version)], [put("lock", name)]).succeeded)

    workers = [threading.Thread(target=claim, args=("w%d" % i,)) for i in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(results) == [False] * 5 + [True]


def test_txn_is_all_or_nothing(client):
    client.set("a", "old")
    client.execute("RPUSH", "list", "x")
    with pytest.raises(SpinelRaftError) as error:
        client.txn([], [put("a", "new"), delete("list"), put("b", "1"), command("INCR", "a")])
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION or \
        error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert client.get("a") == b"old"
    assert client.execute("LRANGE", "list", 0, -1) == [b"x"]
    assert client.get("b") is None


def test_txn_wrongtype_and_invalid_requests(client, stubs):
    client.execute("RPUSH", "list", "x")
    with pytest.raises(SpinelRaftError) as error:
        client.txn([value_equals("list", "x")], [put("k", "v")])
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.value.message.startswith("WRONGTYPE")
    with pytest.raises(SpinelRaftError) as error:
        client.txn([], [command("FLUSHALL")])
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT and "not allowed" in error.value.message
    with pytest.raises(grpc.RpcError) as raw:
        stubs.kv.Txn(pb.TxnRequest(compares=[pb.Compare(key=b"k")]))
    assert raw.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raw:
        stubs.kv.Txn(pb.TxnRequest(success=[pb.TxnOp()]))
    assert raw.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert client.txn([exists("nope", False)], [command("HSET", "h", "f", "v")]).succeeded
    assert client.execute("HGET", "h", "f") == b"v"


def test_databases_are_separate(client, stubs):
    client.set("k", "in-db-3", db=3)
    assert client.get("k") is None and client.get("k", db=3) == b"in-db-3"
    with pytest.raises(grpc.RpcError) as error:
        stubs.kv.Get(pb.GetRequest(key=b"k", db=16))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details() == "ERR DB index is out of range"


def test_execute_typed_replies(client, stubs):
    def run(*argv):
        return stubs.command.Execute(pb.ExecuteRequest(argv=[str(a).encode() for a in argv])).reply

    assert run("PING").simple == "PONG"
    assert run("SET", "s", "v").simple == "OK"
    assert run("GET", "s").bulk == b"v"
    assert run("GET", "missing").null is True
    assert run("INCR", "n").integer == 1
    assert run("RPUSH", "l", "a", "b").integer == 2
    assert [item.bulk for item in run("LRANGE", "l", 0, -1).array.items] == [b"a", b"b"]
    run("HSET", "h", "f", "v")
    entries = run("HGETALL", "h").map.entries
    assert [(e.key.bulk, e.value.bulk) for e in entries] == [(b"f", b"v")]
    run("SADD", "set", "m")
    assert [item.bulk for item in run("SMEMBERS", "set").set.items] == [b"m"]
    run("ZADD", "z", "1.5", "m")
    assert run("ZSCORE", "z", "m").double == 1.5
    assert run("INCR", "l").error.startswith("WRONGTYPE")
    assert run("NOSUCHCOMMAND").error.startswith("ERR unknown command")
    assert run("GET").error == "ERR wrong number of arguments for 'get' command"
    with pytest.raises(grpc.RpcError) as error:
        stubs.command.Execute(pb.ExecuteRequest())
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_client_execute_converts_replies(client):
    client.execute("HSET", "h", "f", "v")
    assert client.execute("HGETALL", "h") == {b"f": b"v"}
    assert client.execute("EXISTS", "h") == 1
    with pytest.raises(Exception) as error:
        client.execute("LPUSH", "h", "x")
    assert str(error.value).startswith("WRONGTYPE")
