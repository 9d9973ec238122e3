"""The Warden process: a Redis-Sentinel-compatible endpoint for a SpinelRaft cluster.

`spinelraft-server --warden warden.toml` (or `python -m spinelraft.warden warden.toml`) polls the
cluster's nodes (spinelraft.warden.monitor), serves the Sentinel API on RESP2/RESP3
(spinelraft.warden.commands) and publishes Sentinel events to its pub/sub subscribers.
"""
import argparse
import asyncio
import hashlib
import itertools
import logging
import os
import signal
import sys
import time

from spinelraft.replies import ErrorReply, Push
from spinelraft.resp.encoder import encode
from spinelraft.resp.parser import RequestParser
from spinelraft.statemachine.glob import match as glob_match
from spinelraft.warden import commands
from spinelraft.warden.config import LOG_LEVELS, WardenConfigError, load
from spinelraft.warden.monitor import Monitor

log = logging.getLogger("spinelraft.warden")

PUBSUB_BUFFER_LIMIT = 32 * 1024 * 1024  # a subscriber this far behind is disconnected (Redis's hard limit)
_ids = itertools.count(1)


class Client:
    def __init__(self, writer, authenticated: bool):
        self.id = next(_ids)
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.address = "%s:%d" % peer[:2] if isinstance(peer, tuple) else str(peer)
        self.protocol = 2
        self.authenticated = authenticated
        self.name = None
        self.channels = set()
        self.patterns = set()
        self.closing = False
        self.created = time.monotonic()

    @property
    def subscriptions(self) -> int:
        return len(self.channels) + len(self.patterns)

    def send(self, reply):
        if self.writer.is_closing():
            return
        self.writer.write(encode(reply, self.protocol))

    def describe(self, warden) -> str:
        return "id=%d addr=%s name=%s age=%d sub=%d psub=%d resp=%d" % (
            self.id, self.address, (self.name or b"").decode("utf-8", "replace"),
            int(time.monotonic() - self.created), len(self.channels), len(self.patterns), self.protocol)


class Warden:
    def __init__(self, settings):
        self.settings = settings
        self.myid = hashlib.sha1(("spinelraft-warden %s:%d" % (settings.host, settings.port)).encode()).hexdigest()
        self.monitor = Monitor(settings, self.publish)
        self.clients = {}
        self.channels = {}  # channel -> {Client}
        self.patterns = {}  # pattern -> {Client}
        self.total_connections = 0
        self.total_commands = 0
        self.stopping = asyncio.Event()

    def stop(self):
        self.stopping.set()

    # -- pub/sub ---------------------------------------------------------------------------------
    def publish(self, channel: str, message: str) -> int:
        channel, payload = channel.encode(), message.encode()
        receivers = 0
        for client in list(self.channels.get(channel, ())):
            self._deliver(client, Push([b"message", channel, payload]))
            receivers += 1
        for pattern, clients in list(self.patterns.items()):
            if glob_match(pattern, channel):
                for client in list(clients):
                    self._deliver(client, Push([b"pmessage", pattern, channel, payload]))
                    receivers += 1
        return receivers

    def _deliver(self, client, push):
        client.send(push)
        transport = client.writer.transport
        if transport.get_write_buffer_size() > PUBSUB_BUFFER_LIMIT:
            log.warning("closing subscriber %s: %d bytes of events unread", client.address,
                        transport.get_write_buffer_size())
            self.unsubscribe_all(client)
            transport.abort()

    def unsubscribe_all(self, client):
        for registry, mine in ((self.channels, client.channels), (self.patterns, client.patterns)):
            for target in mine:
                listeners = registry.get(target)
                if listeners is not None:
                    listeners.discard(client)
                    if not listeners:
                        del registry[target]
            mine.clear()

    # -- connections -------------------------------------------------------------------------------
    async def serve_client(self, reader, writer):
        client = Client(writer, authenticated=not self.settings.requirepass)
        self.clients[client.id] = client
        self.total_connections += 1
        parser = RequestParser()
        try:
            while not client.closing:
                data = await reader.read(65536)
                if not data:
                    break
                parser.feed(data)
                while not client.closing:
                    parser.unauthenticated = not client.authenticated
                    batch = parser.commands()
                    if not batch:
                        break
                    for argv in batch:
                        await self._run(client, argv)
                        if client.closing:
                            break
                if parser.error is not None and not client.closing:
                    writer.write(b"-%s\r\n" % parser.error.encode())
                    break
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.unsubscribe_all(client)
            self.clients.pop(client.id, None)
            try:
                if not writer.is_closing():
                    await asyncio.wait_for(writer.drain(), 1.0)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                pass
            writer.close()

    async def _run(self, client, argv):
        self.total_commands += 1
        try:
            reply = commands.dispatch(self, client, argv)
            if commands.is_awaitable(reply):
                reply = await reply
        except Exception:  # noqa: BLE001 - a bug in one command must not kill the connection
            log.exception("command %r failed", argv[:2])
            reply = ErrorReply("ERR internal error in the Warden (see its log)")
        if reply is not commands.NO_REPLY:
            client.send(reply)


# -- process -----------------------------------------------------------------------------------------
class StartupError(Exception):
    pass


async def serve(settings):
    warden = Warden(settings)
    loop = asyncio.get_running_loop()
    try:
        server = await asyncio.start_server(warden.serve_client, settings.host, settings.port,
                                            reuse_address=True, backlog=512)
    except OSError as error:
        raise StartupError("cannot listen on %s:%d: %s"
                           % (settings.host, settings.port, os.strerror(error.errno) if error.errno else error)) from None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, warden.stop)
    warden.monitor.start()
    log.info("Warden %s watching %s (poll every %.2f s, down after %d ms)", warden.myid,
             ", ".join(settings.nodes), settings.poll_interval, settings.down_after_milliseconds)
    print("spinelraft warden ready on %s:%d" % (settings.host, settings.port), flush=True)
    try:
        await warden.stopping.wait()
        log.info("shutting down")
    finally:
        server.close()
        warden.monitor.stop()
        for client in list(warden.clients.values()):
            client.writer.close()


def setup_logging(settings):
    if settings.logfile:
        directory = os.path.dirname(os.path.abspath(settings.logfile))
        os.makedirs(directory, exist_ok=True)
    handler = logging.FileHandler(settings.logfile) if settings.logfile else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.loglevel.upper())


def run(path, overrides=None, prog="spinelraft-server --warden") -> int:
    """Load warden.toml, serve until SIGTERM/SIGINT/SHUTDOWN. The exit status."""
    try:
        settings = load(path, overrides)
    except WardenConfigError as error:
        print("%s: %s" % (prog, error), file=sys.stderr)
        return 2
    try:
        setup_logging(settings)
    except OSError as error:
        print("%s: cannot open logfile %s: %s" % (prog, settings.logfile, error.strerror or error), file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        print("%s: %s" % (prog, error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m spinelraft.warden",
        description="Run a Warden: a Redis-Sentinel-compatible endpoint for a SpinelRaft cluster "
                    "(each shard is a monitored master named <name-prefix><index>).",
        epilog="Also started as: spinelraft-server --warden FILE. See docs/warden.md.")
    parser.add_argument("config", metavar="FILE", help="warden.toml (nodes = [\"127.0.0.1:7000\", ...])")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="Sentinel port (default 26379)")
    parser.add_argument("--loglevel", choices=LOG_LEVELS, help="log level (default info)")
    parser.add_argument("--logfile", help="log to this file instead of stderr")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    arguments = parse_args(argv)
    overrides = {"host": arguments.host, "port": arguments.port, "loglevel": arguments.loglevel,
                 "logfile": arguments.logfile}
    return run(arguments.config, overrides, prog="spinelraft-warden")
