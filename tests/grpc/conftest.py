"""gRPC tests run against real spinelraft-server processes with the gRPC port enabled."""
import pytest

from tests.conftest import ServerProcess, free_port


class GrpcServer(ServerProcess):
    """A server process with a gRPC port (`grpc_address`)."""

    def __init__(self, data_dir: str, extra_args=()):
        self.grpc_port = free_port()
        super().__init__(data_dir, extra_args=["--grpc-port", str(self.grpc_port), *extra_args])

    @property
    def grpc_address(self) -> str:
        return "127.0.0.1:%d" % self.grpc_port

    def grpc_client(self, **kwargs):
        from spinelraft.client import SpinelRaftClient

        return SpinelRaftClient([self.grpc_address], **kwargs)


@pytest.fixture(scope="session")
def grpc_server(tmp_path_factory):
    """One server shared by the tests that only need a clean database."""
    server = GrpcServer(str(tmp_path_factory.mktemp("grpc")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def grpc_factory(tmp_path):
    """Start servers with `grpc_factory(extra_args=[...])`; all are stopped at the end."""
    started = []

    def make(extra_args=(), name=None):
        server = GrpcServer(str(tmp_path / (name or "grpc%d" % len(started))), extra_args=extra_args)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def client(grpc_server):
    client = grpc_server.grpc_client()
    client.execute("FLUSHALL")
    yield client
    client.close()


@pytest.fixture
def stubs(grpc_server):
    """Raw generated stubs on one channel (for what the client wrapper hides)."""
    import grpc

    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    channel = grpc.insecure_channel(grpc_server.grpc_address)

    class Stubs:
        kv = pb_grpc.KVStub(channel)
        command = pb_grpc.CommandStub(channel)
        watch = pb_grpc.WatchStub(channel)
        cluster = pb_grpc.ClusterStub(channel)

    Stubs.channel = channel
    yield Stubs
    channel.close()
