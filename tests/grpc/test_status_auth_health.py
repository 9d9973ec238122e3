"""Error mapping, deadlines, authentication, TLS, health and reflection against real servers."""
import datetime
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from spinelraft.client import SpinelRaftClient, SpinelRaftError
from spinelraft.grpc_api import status
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc
from spinelraft.grpc_api.service import crossing_keys
from tests.conftest import free_port


# -- the mapping itself -----------------------------------------------------------------------------
@pytest.mark.parametrize("message, code, applied", [
    ("WRONGTYPE Operation against a key holding the wrong kind of value", "FAILED_PRECONDITION", None),
    ("ERR syntax error", "INVALID_ARGUMENT", None),
    ("ERR wrong number of arguments for 'get' command", "INVALID_ARGUMENT", None),
    ("NOAUTH Authentication required.", "UNAUTHENTICATED", "no"),
    ("WRONGPASS invalid username-password pair or user is disabled.", "UNAUTHENTICATED", "no"),
    ("CLUSTERDOWN no Raft leader for this shard yet; retry", "UNAVAILABLE", "no"),
    ("TRYAGAIN the outcome of this write is unknown (leader changed); check before retrying",
     "UNAVAILABLE", "unknown"),
    ("BUSY too many writes in flight; retry", "RESOURCE_EXHAUSTED", "no"),
    ("ERR no such key", "NOT_FOUND", None),
    ("SOMETHINGNEW text", "UNKNOWN", None),
])
def test_error_texts_map_to_codes(message, code, applied):
    assert status.status_for(message) == (getattr(grpc.StatusCode, code), applied)


def test_unavailable_carries_the_leader_and_applied_state():
    metadata = status.trailing_metadata(grpc.StatusCode.UNAVAILABLE, "no", "10.0.0.1:50051")
    assert metadata == ((status.APPLIED_KEY, "no"), (status.LEADER_KEY, "10.0.0.1:50051"))
    assert status.trailing_metadata(grpc.StatusCode.INVALID_ARGUMENT, None, "x") == ()


def test_keys_of_several_shards_are_named():
    assert crossing_keys([b"a", b"b"], lambda key: 0) == []
    assert crossing_keys([b"a", b"b", b"c"], lambda key: 1 if key == b"b" else 0) == [(0, b"a"), (1, b"b")]


# -- against a server -------------------------------------------------------------------------------
def test_arity_and_syntax_errors_are_invalid_argument(client, stubs):
    with pytest.raises(grpc.RpcError) as error:
        stubs.kv.Set(pb.SetRequest(key=b"k", value=b"v", ttl_ms=100, keep_ttl=True))
    assert (error.value.code(), error.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "ERR syntax error")
    with pytest.raises(grpc.RpcError) as error:
        stubs.kv.Set(pb.SetRequest(key=b"k", value=b"v", ttl_ms=-5))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        stubs.kv.MSet(pb.MSetRequest())
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_deadlines_end_a_watch(client, stubs):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as error:
        for _ in stubs.watch.Watch(pb.WatchRequest(key=b"never"), timeout=0.5):
            pass
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.4 < time.monotonic() - started < 5


def test_deadline_of_a_command_that_waits(client, stubs):
    """WAIT for a replica that a one-node group never has: the call ends at its deadline."""
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as error:
        stubs.command.Execute(pb.ExecuteRequest(argv=[b"WAIT", b"1", b"20000"]), timeout=0.5)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 5
    assert client.get("k") is None  # the server goes on serving


def test_membership_requests_are_checked(client, stubs):
    with pytest.raises(grpc.RpcError) as error:
        stubs.cluster.AddMember(pb.AddMemberRequest())
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        stubs.cluster.RemoveMember(pb.RemoveMemberRequest(id="nobody"))
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no member" in error.value.details()


def test_cluster_of_one(client, grpc_server):
    state = client.status()
    assert (state.role, state.leader_id, state.ready) == ("leader", "node-1", True)
    assert state.leader_address == grpc_server.grpc_address
    [member] = client.members()
    assert (member.is_self, member.is_leader, member.port, member.grpc_port) == (
        True, True, grpc_server.port, grpc_server.grpc_port)
    with pytest.raises(SpinelRaftError) as error:
        client.transfer_leader()
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    [shard] = SpinelRaftClient([grpc_server.grpc_address])._call(
        pb_grpc.ClusterStub, "Shards", pb.ShardsRequest(), True).shards
    assert (shard.id, list(shard.member_ids), shard.start_key, shard.end_key) == (0, ["node-1"], b"", b"")


def test_health_and_reflection(grpc_server):
    channel = grpc.insecure_channel(grpc_server.grpc_address)
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "spinelraft.v1.KV", "spinelraft.v1.Watch"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as error:
        health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="spinelraft.v1.KV")]
    listed, file_reply = list(stub.ServerReflectionInfo(iter(requests), timeout=5))
    names = {service.name for service in listed.list_services_response.service}
    assert {"spinelraft.v1.KV", "spinelraft.v1.Command", "spinelraft.v1.Watch", "spinelraft.v1.Cluster",
            "grpc.health.v1.Health"} <= names
    assert file_reply.file_descriptor_response.file_descriptor_proto
    channel.close()


def test_password_from_metadata(grpc_factory):
    server = grpc_factory(extra_args=["--requirepass", "s3cret"])
    cases = [({}, "NOAUTH"), ({"password": "wrong"}, "WRONGPASS"),
             ({"password": "s3cret", "username": "nobody"}, "WRONGPASS")]
    for credentials, prefix in cases:
        with SpinelRaftClient([server.grpc_address], **credentials) as denied:
            with pytest.raises(SpinelRaftError) as error:
                denied.get("k")
            assert error.value.code == grpc.StatusCode.UNAUTHENTICATED
            assert error.value.message.startswith(prefix)
    channel = grpc.insecure_channel(server.grpc_address)
    stub = pb_grpc.KVStub(channel)
    with pytest.raises(grpc.RpcError) as error:
        stub.Get(pb.GetRequest(key=b"k"), metadata=(("authorization", "Basic s3cret"),))
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    stub.Set(pb.SetRequest(key=b"k", value=b"v"), metadata=(("authorization", "Bearer s3cret"),))
    health = health_pb2_grpc.HealthStub(channel)  # health needs no password
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING
    channel.close()
    with SpinelRaftClient([server.grpc_address], username="default", password="s3cret") as allowed:
        assert allowed.get("k") == b"v"


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([
                       x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls(grpc_factory, tmp_path):
    cert_path, key_path = _self_signed(tmp_path)
    server = grpc_factory(extra_args=["--tls-cert-file", str(cert_path), "--tls-key-file", str(key_path)])
    with SpinelRaftClient([server.grpc_address], tls_root_certificates=cert_path.read_bytes()) as secure:
        secure.set("k", "over tls")
        assert secure.get("k") == b"over tls"
    with SpinelRaftClient([server.grpc_address], timeout=2, retries=0) as plain:
        with pytest.raises(SpinelRaftError) as error:
            plain.get("k")
        assert error.value.code == grpc.StatusCode.UNAVAILABLE


def test_tls_settings_go_together(tmp_path):
    from spinelraft import config

    with pytest.raises(config.ConfigError, match="tls-cert-file and tls-key-file"):
        config.load(overrides={"tls_cert_file": str(tmp_path / "cert.pem")})


def test_unreadable_tls_files_stop_the_start(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    result = subprocess.run(
        [sys.executable, "-m", "spinelraft.server", "--port", str(free_port()), "--grpc-port", str(free_port()),
         "--metrics-port", "0", "--data-dir", str(tmp_path / "data"), "--logfile", str(tmp_path / "log"),
         "--tls-cert-file", str(tmp_path / "absent.pem"), "--tls-key-file", str(tmp_path / "absent.key")],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("spinelraft-server: TLS for gRPC: cannot read")


def test_busy_grpc_port_is_reported(tmp_path):
    import socket
    import subprocess
    import sys

    from tests.conftest import REPO

    with socket.socket() as squatter:
        busy = free_port()
        squatter.bind(("127.0.0.1", busy))
        squatter.listen()
        result = subprocess.run(
            [sys.executable, "-m", "spinelraft.server", "--port", str(free_port()), "--grpc-port", str(busy),
             "--metrics-port", "0", "--data-dir", str(tmp_path / "data")],
            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "127.0.0.1:%d (gRPC)" % busy in result.stderr


def test_client_moves_to_the_next_address(grpc_server, client):
    dead = "127.0.0.1:%d" % free_port()
    with SpinelRaftClient([dead, grpc_server.grpc_address], timeout=3) as moving:
        assert moving.get("k") is None
        assert moving.set("k", "v") is True  # the dead address was left behind
        assert moving.policy.current == grpc_server.grpc_address


def test_writes_to_a_dead_address_are_retried_only_before_sending():
    with SpinelRaftClient(["127.0.0.1:%d" % free_port()], timeout=1, retries=1) as nowhere:
        with pytest.raises(SpinelRaftError) as error:
            nowhere.set("k", "v")
    assert error.value.code == grpc.StatusCode.UNAVAILABLE


def test_async_client(grpc_server):
    import asyncio

    from spinelraft.client import AsyncSpinelRaftClient, put, value_equals

    async def scenario():
        async with AsyncSpinelRaftClient([grpc_server.grpc_address]) as aclient:
            await aclient.execute("FLUSHALL")
            assert await aclient.set("a", "1")
            assert await aclient.get("a") == b"1"
            assert (await aclient.get_info("a")).version > 0
            assert await aclient.incr("n", 2) == 2
            assert await aclient.mget(["a", "n"]) == [b"1", b"2"]
            assert (await aclient.compare_and_set("a", "2", expected_value="1")).swapped
            reply = await aclient.txn([value_equals("a", "2")], [put("b", "x")])
            assert reply.succeeded
            assert [e.key async for e in aclient.scan(prefix="")] == [b"a", b"b", b"n"]
            start = (await aclient.status()).position.revision
            await aclient.delete("b")
            stream = aclient.watch(key="b", start_after=start - 1)
            first = await asyncio.wait_for(stream.__anext__(), 10)
            second = await asyncio.wait_for(stream.__anext__(), 10)
            await stream.aclose()
            assert [first.kind, second.kind] == [pb.Event.SET, pb.Event.DEL]
            assert await aclient.execute("HSET", "h", "f", "v") == 1
            assert (await aclient.members())[0].is_leader

    asyncio.run(scenario())
