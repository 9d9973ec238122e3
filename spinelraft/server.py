"""spinelraft-server: run one node (embedded default: one node, one shard, data under ./data)."""
import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import time

from spinelraft import config

log = logging.getLogger("spinelraft")

READY_TIMEOUT_S = 120.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="spinelraft-server",
        description="Run a SpinelRaft node: a Raft-replicated, Redis-compatible data server.",
        epilog="Flags override the config file. Example: spinelraft-server --port 7000 --data-dir /tmp/n1",
    )
    config.add_arguments(parser)
    parser.add_argument("--warden", metavar="FILE",
                        help="run a Warden (Sentinel-compatible endpoint for the cluster) configured by FILE "
                             "instead of a node; --host/--port/--loglevel/--logfile then apply to it")
    return parser.parse_args(argv)


def setup_logging(settings):
    if settings.logfile:
        os.makedirs(os.path.dirname(os.path.abspath(settings.logfile)), exist_ok=True)
    handler = logging.FileHandler(settings.logfile) if settings.logfile else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.loglevel.upper())
    logging.getLogger("pysyncobj").setLevel(logging.WARNING)


async def wait_ready(node):
    started = time.monotonic()
    log.info("waiting for the Raft group to elect a leader and replay its journal")
    while not node.is_ready():
        if time.monotonic() - started > READY_TIMEOUT_S:
            raise RuntimeError("the Raft group did not become ready in %.0f s" % READY_TIMEOUT_S)
        await asyncio.sleep(0.01)
    for shard in node.shards.values():
        status = shard.group.status()
        log.info("shard %d ready in %.2f s: term %d, applied index %d, %d keys", shard.id,
                 time.monotonic() - started, status["term"], status["last_applied"],
                 sum(len(db) for db in shard.group.machine.dbs))


async def expire_keys_forever(node, period_s: float = 0.1):
    """The leader proposes active-expiry entries (the state machine decides which keys go)."""
    from spinelraft.statemachine.machine import EXPIRE_CYCLE_MAX_KEYS, OP_EXPIRE

    while True:
        await asyncio.sleep(period_s)
        for shard in list(node.shards.values()):
            group = shard.group
            if not group.is_leader():
                continue
            now_ms = shard.proposer.now_ms()
            with group.lock:
                due = any(db.expiry_index and db.expiry_index[0][0] <= now_ms for db in group.machine.dbs)
            if due:
                shard.proposer.submit((OP_EXPIRE, 0, EXPIRE_CYCLE_MAX_KEYS), lambda reply: None)


async def expire_stuck_proposals_forever(node, timeout_s: float = 10.0):
    while True:
        await asyncio.sleep(0.5)
        for shard in list(node.shards.values()):
            shard.proposer.expire_stuck(timeout_s)


async def close_idle_clients_forever(node):
    while True:
        await asyncio.sleep(1.0)
        timeout = node.settings.timeout
        if timeout <= 0:
            continue
        limit = time.monotonic() - timeout
        for session in list(node.sessions.values()):
            # as Redis, a client blocked in BLPOP & co is not idle
            if session.last_active < limit and session.kill is not None and not session.blocked:
                session.kill()


class StartupError(Exception):
    """A start-up problem the operator can fix: printed as one line, no traceback."""


def require_free_port(host: str, port: int, what: str):
    """Fail before anything starts when a port we are about to bind is taken."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StartupError("cannot listen on %s:%d (%s): %s"
                               % (host, port, what, error.strerror or error)) from None


async def listen_resp(loop, settings, protocol_factory):
    """Bind the RESP port now (a busy port is the first thing reported), serve it later."""
    try:
        return await loop.create_server(protocol_factory, settings.host, settings.port,
                                        reuse_address=True, backlog=1024, start_serving=False)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise StartupError("cannot listen on %s:%d (RESP): %s"
                           % (settings.host, settings.port, reason)) from None


async def serve(settings):
    from spinelraft.node.metrics import start_metrics
    from spinelraft.node.node import Node
    from spinelraft.resp.connection import RespConnection

    loop = asyncio.get_running_loop()
    server = await listen_resp(loop, settings, lambda: RespConnection(node))
    for shard_id in range(settings.shards):
        address = settings.raft_address_of(shard_id)
        require_free_port(address.rsplit(":", 1)[0], int(address.rsplit(":", 1)[1]), "Raft, shard %d" % shard_id)
    if settings.metrics_port:
        require_free_port(settings.host, settings.metrics_port, "metrics")
    if settings.grpc_port:
        require_free_port(settings.host, settings.grpc_port, "gRPC")
    if settings.sentinel_port:
        require_free_port(settings.host, settings.sentinel_port, "Sentinel")
    os.makedirs(settings.data_dir, exist_ok=True)
    node = Node(settings, loop)
    node.start()
    stop = asyncio.Event()
    node.request_shutdown = stop.set  # SHUTDOWN
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await wait_ready(node)
        grpc_front = await start_grpc_api(node, settings)
        await server.start_serving()
        if settings.metrics_port:
            start_metrics(node, settings.host, settings.metrics_port)
        tasks = [loop.create_task(expire_keys_forever(node)),
                 loop.create_task(expire_stuck_proposals_forever(node, settings.proposal_timeout)),
                 loop.create_task(close_idle_clients_forever(node))]
        warden = await start_builtin_warden(settings) if settings.sentinel_port else None
        if settings.members:
            from spinelraft.node.topology import learn_remote_shards_forever, spread_leaders_forever

            tasks += [loop.create_task(learn_remote_shards_forever(node)),
                      loop.create_task(spread_leaders_forever(node))]
        log.info("ready to accept connections: RESP on %s:%d, gRPC on %s, metrics on %s, raft on %s, "
                 "data in %s", settings.host, settings.port,
                 "%s:%d%s" % (settings.host, settings.grpc_port, " (TLS)" if settings.tls_cert_file else "")
                 if settings.grpc_port else "off",
                 "%s:%d" % (settings.host, settings.metrics_port) if settings.metrics_port else "off",
                 settings.raft_address, os.path.abspath(settings.data_dir))
        print("spinelraft-server ready on %s:%d" % (settings.host, settings.port), flush=True)
        await stop.wait()
        log.info("shutting down")
        server.close()
        if grpc_front is not None:
            await grpc_front.stop()
        if warden is not None:
            warden[0].close()
            warden[1].monitor.stop()
        for task in tasks:
            task.cancel()
    finally:
        node.stop()
        log.info("stopped")


async def start_builtin_warden(settings):
    """The Sentinel API on sentinel-port, watching this node's cluster (it learns every node
    from CLUSTER SHARDS); (server, warden)."""
    from spinelraft.warden.config import WardenSettings
    from spinelraft.warden.server import Warden

    nodes = ["%s:%d" % (settings.host, settings.port)] + [m.address for m in settings.members
                                                         if m.id != settings.node_id]
    warden = Warden(WardenSettings(host=settings.host, port=settings.sentinel_port, nodes=nodes,
                                   password=settings.requirepass, requirepass=settings.requirepass))
    server = await asyncio.start_server(warden.serve_client, settings.host, settings.sentinel_port,
                                        reuse_address=True)
    warden.monitor.start()
    log.info("Warden (Sentinel API) on %s:%d", settings.host, settings.sentinel_port)
    return server, warden


async def start_grpc_api(node, settings):
    """The gRPC API on the same loop (None when grpc-port is 0)."""
    if not settings.grpc_port:
        return None
    from spinelraft.grpc_api.server import TlsFileError, start_grpc

    try:
        return await start_grpc(node, settings)
    except TlsFileError as error:
        raise StartupError("TLS for gRPC: %s" % error) from None
    except RuntimeError as error:  # grpc could not bind
        raise StartupError("cannot listen on %s:%d (gRPC): %s"
                           % (settings.host, settings.grpc_port, error)) from None


def main(argv=None):
    arguments = parse_args(argv)
    if arguments.warden:
        from spinelraft.warden.server import run as run_warden

        return run_warden(arguments.warden, {"host": arguments.host, "port": arguments.port,
                                             "loglevel": arguments.loglevel, "logfile": arguments.logfile})
    try:
        settings = config.load(arguments.config, config.overrides_from(arguments))
    except config.ConfigError as error:
        print("spinelraft-server: %s" % error, file=sys.stderr)
        return 2
    try:
        setup_logging(settings)
    except OSError as error:
        print("spinelraft-server: cannot open logfile %s: %s" % (settings.logfile, error.strerror or error),
              file=sys.stderr)
        return 2
    # The asyncio thread and the Raft tick thread share the GIL; with the default 5 ms switch
    # interval a busy front end holds the tick thread (and every commit) back for milliseconds.
    sys.setswitchinterval(float(os.environ.get("SPINELRAFT_SWITCH_INTERVAL_S", "0.0005")))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        print("spinelraft-server: %s" % error, file=sys.stderr)
        return 1
    except OSError as error:
        print("spinelraft-server: cannot listen on %s:%d (RESP) or %s (metrics): %s"
              % (settings.host, settings.port, settings.metrics_port, error.strerror or error),
              file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - one clear line, never a traceback
        message = str(error)
        if "BindError" in message:
            message = "cannot bind the Raft port %s (address in use?)" % settings.raft_address
        print("spinelraft-server: %s" % message, file=sys.stderr)
        log.debug("start-up failure", exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
