"""Start the gRPC API on the node's asyncio loop: KV, Command, Watch, Cluster, plus the standard
health service (grpc.health.v1) and server reflection."""
import asyncio
import logging

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc
from spinelraft.grpc_api.service import (
    ClusterServicer,
    CommandServicer,
    Front,
    KVServicer,
    WatchServicer,
)

log = logging.getLogger(__name__)

SERVICE_NAMES = tuple(service.full_name for service in pb.DESCRIPTOR.services_by_name.values())
HEALTH_PERIOD_S = 0.5
MAX_MESSAGE_BYTES = 512 * 1024 * 1024 + 1024 * 1024  # proto-max-bulk-len plus framing


class TlsFileError(Exception):
    pass


def server_credentials(settings):
    try:
        with open(settings.tls_cert_file, "rb") as handle:
            certificate = handle.read()
        with open(settings.tls_key_file, "rb") as handle:
            key = handle.read()
    except OSError as error:
        raise TlsFileError("cannot read %s: %s" % (error.filename, error.strerror)) from None
    return grpc.ssl_server_credentials([(key, certificate)])


class GrpcFront:
    """The running gRPC server and its health reporter."""

    def __init__(self, server, health_servicer, node):
        self.server = server
        self.health = health_servicer
        self.node = node
        self.task = asyncio.get_running_loop().create_task(self._report_health())

    async def _report_health(self):
        serving = None
        while True:
            ready = self.node.is_ready()
            if ready != serving:
                serving = ready
                state = (health_pb2.HealthCheckResponse.SERVING if ready
                         else health_pb2.HealthCheckResponse.NOT_SERVING)
                for name in ("",) + SERVICE_NAMES:
                    await self.health.set(name, state)
            await asyncio.sleep(HEALTH_PERIOD_S)

    async def stop(self, grace_s: float = 1.0):
        self.task.cancel()
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)


async def start_grpc(node, settings) -> GrpcFront:
    server = grpc.aio.server(options=[
        ("grpc.so_reuseport", 0),  # a second server on the same port must fail, not share it
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ])
    front = Front(node)
    pb_grpc.add_KVServicer_to_server(KVServicer(front), server)
    pb_grpc.add_CommandServicer_to_server(CommandServicer(front), server)
    pb_grpc.add_WatchServicer_to_server(WatchServicer(front), server)
    pb_grpc.add_ClusterServicer_to_server(ClusterServicer(front), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        SERVICE_NAMES + (health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                         reflection.SERVICE_NAME), server)
    address = "%s:%d" % (settings.host, settings.grpc_port)
    if settings.tls_cert_file:
        server.add_secure_port(address, server_credentials(settings))
    else:
        server.add_insecure_port(address)
    await server.start()
    return GrpcFront(server, health_servicer, node)
