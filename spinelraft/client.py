"""Python clients of the SpinelRaft gRPC API: SpinelRaftClient (blocking) and AsyncSpinelRaftClient.

    from spinelraft.client import SpinelRaftClient
    with SpinelRaftClient(["127.0.0.1:50051", "127.0.0.1:50052"], password="secret") as client:
        client.set(b"k", b"v", ttl_ms=5000)
        client.get(b"k")                       # b"v"
        client.compare_and_set(b"k", b"w", expected_value=b"v")
        for event in client.watch(prefix=b"user:"):
            ...

Retries: a request that fails with UNAVAILABLE goes to the leader the server names in the
`spinelraft-leader` metadata (or to the next address). Reads are retried; writes only when the
server says the write was not applied (`spinelraft-applied: no`) or no connection was made.
Every other error raises SpinelRaftError with the gRPC code and the Redis text.
"""
import asyncio
import time
from dataclasses import dataclass
from typing import Iterable, Optional

import grpc

from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

LINEARIZABLE = pb.LINEARIZABLE
SERIALIZABLE = pb.SERIALIZABLE
LEADER_KEY = "spinelraft-leader"
APPLIED_KEY = "spinelraft-applied"
BACKOFF_S = 0.05
BACKOFF_MAX_S = 1.0
# A node restarts or a leader moves in about a second: reconnect sooner than gRPC's default
# (1 s growing to 120 s), and keep this client's connections to itself (gRPC otherwise shares
# them process-wide, so a new client would inherit another one's reconnect back-off).
CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                   ("grpc.max_reconnect_backoff_ms", 2000), ("grpc.use_local_subchannel_pool", 1)]
RETRIED_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


class SpinelRaftError(Exception):
    """A failed RPC: `code` is the grpc.StatusCode, `message` the server's (Redis) text."""

    def __init__(self, code, message: str, leader: str = "", applied: str = ""):
        super().__init__("%s: %s" % (code.name if code else "ERROR", message))
        self.code = code
        self.message = message
        self.leader = leader
        self.applied = applied


class ReplyError(Exception):
    """An error reply of Command.Execute (e.g. WRONGTYPE ...); nested ones are returned as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class KeyInfo:
    value: Optional[bytes]
    version: int
    ttl_ms: int


@dataclass
class CasResult:
    swapped: bool
    value: Optional[bytes]
    version: int


def _addresses(addresses) -> list:
    if isinstance(addresses, str):
        addresses = addresses.split(",")
    result = [address.strip() for address in addresses if address.strip()]
    if not result:
        raise ValueError("at least one address (host:port) is needed")
    return result


def _metadata(username, password) -> tuple:
    if password is None:
        return ()
    if username:
        return (("username", username), ("password", password))
    return (("authorization", "Bearer %s" % password),)


def _trailing(error) -> dict:
    try:
        return {key: value for key, value in (error.trailing_metadata() or ())}
    except Exception:  # an error raised before any response carries no metadata
        return {}


def _bytes(value) -> bytes:
    """Keys, values and arguments: bytes as they are, str as UTF-8, numbers in decimal."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):
        raise TypeError("a bool is not a command argument")
    if isinstance(value, (int, float)):
        return repr(value).encode()
    return bytes(value)


def reply_value(reply: pb.Reply):
    """A proto Reply as Python: bytes, int, float, bool, None, str (simple), list, dict, set,
    or ReplyError (an error inside an array)."""
    kind = reply.WhichOneof("kind")
    if kind in ("bulk", "integer", "double", "bool", "simple"):
        return getattr(reply, kind)
    if kind == "error":
        return ReplyError(reply.error)
    if kind == "array":
        return [reply_value(item) for item in reply.array.items]
    if kind == "set":
        return [reply_value(item) for item in reply.set.items]
    if kind == "map":
        pairs = [(reply_value(e.key), reply_value(e.value)) for e in reply.map.entries]
        try:
            return dict(pairs)
        except TypeError:  # unhashable keys: keep the pairs
            return pairs
    return None


# -- requests (shared by both clients) ------------------------------------------------------------
def set_request(key, value, ttl_ms=0, nx=False, xx=False, return_previous=False, keep_ttl=False, db=0):
    if nx and xx:
        raise ValueError("nx and xx exclude each other")
    condition = pb.IF_NOT_EXISTS if nx else pb.IF_EXISTS if xx else pb.ALWAYS
    return pb.SetRequest(key=_bytes(key), value=_bytes(value), ttl_ms=ttl_ms, condition=condition,
                         return_previous=return_previous, keep_ttl=keep_ttl, db=db)


def cas_request(key, value, expected_value=None, expected_version=None, expected_exists=None,
                ttl_ms=0, db=0):
    given = [name for name, v in (("expected_value", expected_value), ("expected_version", expected_version),
                                  ("expected_exists", expected_exists)) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of expected_value, expected_version, expected_exists")
    request = pb.CompareAndSetRequest(key=_bytes(key), value=_bytes(value), ttl_ms=ttl_ms, db=db)
    if expected_value is not None:
        request.expected_value = _bytes(expected_value)
    elif expected_version is not None:
        request.expected_version = expected_version
    else:
        request.expected_exists = expected_exists
    return request


def scan_request(prefix=None, start=None, end=None, limit=100, keys_only=False, cursor=b"",
                 consistency=LINEARIZABLE, db=0):
    request = pb.ScanRequest(cursor=cursor, limit=limit, keys_only=keys_only, consistency=consistency, db=db)
    if prefix is not None:
        request.prefix = _bytes(prefix)
    elif start is not None or end is not None:
        request.range.start = _bytes(start or b"")
        request.range.end = _bytes(end or b"")
    return request


def watch_request(key=None, prefix=None, start_after=None, include_values=False, progress_notify=False, db=0,
                  shard=0):
    """`shard`: on a cluster of several shards, the shard a prefix watch follows (revisions
    are per shard; a key watch follows its key's shard)."""
    request = pb.WatchRequest(include_values=include_values, progress_notify=progress_notify, db=db,
                              shard=shard)
    if key is not None:
        request.key = _bytes(key)
    else:
        request.prefix = _bytes(prefix or b"")
    if start_after is not None:
        request.start_after.revision = start_after
        request.start_after.shard = shard
    return request


# Txn building helpers: client.txn(compares=[value_equals(b"k", b"v")], success=[put(b"k", b"w")])
def value_equals(key, value):
    return pb.Compare(key=_bytes(key), operator=pb.Compare.EQUAL, value=_bytes(value))


def version_equals(key, version: int):
    return pb.Compare(key=_bytes(key), operator=pb.Compare.EQUAL, version=version)


def exists(key, present: bool = True):
    return pb.Compare(key=_bytes(key), operator=pb.Compare.EQUAL, exists=present)


def put(key, value, ttl_ms: int = 0):
    return pb.TxnOp(set=pb.SetOp(key=_bytes(key), value=_bytes(value), ttl_ms=ttl_ms))


def delete(key):
    return pb.TxnOp(delete=pb.DeleteOp(key=_bytes(key)))


def get(key):
    return pb.TxnOp(get=pb.GetOp(key=_bytes(key)))


def incr(key, delta: int = 1):
    return pb.TxnOp(incr=pb.IncrOp(key=_bytes(key), delta=delta))


def command(*argv):
    return pb.TxnOp(command=pb.RawCommand(argv=[_bytes(part) for part in argv]))


class _Policy:
    """Where to send the next attempt, and whether a failure may be retried."""

    def __init__(self, addresses, retries: int):
        self.addresses = _addresses(addresses)
        self.current = self.addresses[0]
        self.retries = retries

    def failed(self, error, idempotent: bool, attempt: int) -> Optional[float]:
        """Seconds to wait before retrying, or None to raise."""
        code = error.code()
        metadata = _trailing(error)
        leader = metadata.get(LEADER_KEY, "")
        applied = metadata.get(APPLIED_KEY, "")
        if code not in RETRIED_CODES or attempt >= self.retries:
            return None
        never_sent = code == grpc.StatusCode.UNAVAILABLE and not metadata and \
            "failed to connect" in (error.details() or "").lower()
        if not (idempotent or applied == "no" or never_sent):
            return None
        if leader and leader != self.current:
            self.current = leader
            return 0.0
        if code == grpc.StatusCode.UNAVAILABLE and len(self.addresses) > 1:
            index = self.addresses.index(self.current) if self.current in self.addresses else -1
            self.current = self.addresses[(index + 1) % len(self.addresses)]
        return min(BACKOFF_S * (2 ** attempt), BACKOFF_MAX_S)


def _error(error) -> SpinelRaftError:
    metadata = _trailing(error)
    return SpinelRaftError(error.code(), error.details() or "", metadata.get(LEADER_KEY, ""),
                           metadata.get(APPLIED_KEY, ""))


def _credentials(tls_root_certificates):
    if tls_root_certificates is None:
        return None
    return grpc.ssl_channel_credentials(root_certificates=tls_root_certificates)


class SpinelRaftClient:
    """Blocking client. `addresses`: "host:port,host:port" or a list; `tls_root_certificates`:
    PEM bytes of the CA (or self-signed certificate) to trust for TLS."""

    def __init__(self, addresses, password: str = None, username: str = None, timeout: float = 10.0,
                 retries: int = 5, consistency: int = LINEARIZABLE, tls_root_certificates: bytes = None):
        self.policy = _Policy(addresses, retries)
        self.metadata = _metadata(username, password)
        self.timeout = timeout
        self.consistency = consistency
        self.credentials = _credentials(tls_root_certificates)
        self.channels = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for channel in self.channels.values():
            channel.close()
        self.channels.clear()

    def _channel(self, address: str):
        channel = self.channels.get(address)
        if channel is None:
            channel = (grpc.secure_channel(address, self.credentials, CHANNEL_OPTIONS) if self.credentials
                       else grpc.insecure_channel(address, CHANNEL_OPTIONS))
            self.channels[address] = channel
        return channel

    def _call(self, stub_class, method: str, request, idempotent: bool, timeout: float = None):
        attempt = 0
        while True:
            stub = stub_class(self._channel(self.policy.current))
            try:
                return getattr(stub, method)(request, timeout=timeout or self.timeout, metadata=self.metadata)
            except grpc.RpcError as error:
                wait = self.policy.failed(error, idempotent, attempt)
                if wait is None:
                    raise _error(error) from None
                attempt += 1
                time.sleep(wait)

    def _read(self, consistency):
        return self.consistency if consistency is None else consistency

    # -- KV --------------------------------------------------------------------------------------
    def get(self, key, consistency: int = None, db: int = 0) -> Optional[bytes]:
        reply = self._call(pb_grpc.KVStub, "Get", pb.GetRequest(
            key=_bytes(key), consistency=self._read(consistency), db=db), True)
        return reply.value if reply.found else None

    def get_info(self, key, consistency: int = None, db: int = 0) -> KeyInfo:
        """Value, version and TTL read in one step."""
        reply = self._call(pb_grpc.KVStub, "Get", pb.GetRequest(
            key=_bytes(key), consistency=self._read(consistency), db=db, with_metadata=True), True)
        return KeyInfo(reply.value if reply.found else None, reply.version, reply.ttl_ms)

    def set(self, key, value, ttl_ms: int = 0, nx: bool = False, xx: bool = False,
            return_previous: bool = False, keep_ttl: bool = False, db: int = 0):
        """True if written (False when NX/XX prevented it); with return_previous, (written,
        previous value or None)."""
        reply = self._call(pb_grpc.KVStub, "Set",
                           set_request(key, value, ttl_ms, nx, xx, return_previous, keep_ttl, db), False)
        if return_previous:
            return reply.applied, reply.previous.value if reply.previous.found else None
        return reply.applied

    def delete(self, *keys, db: int = 0) -> int:
        return self._call(pb_grpc.KVStub, "Delete", pb.DeleteRequest(
            keys=[_bytes(key) for key in keys], db=db), False).deleted

    def mget(self, keys: Iterable, consistency: int = None, db: int = 0) -> list:
        reply = self._call(pb_grpc.KVStub, "MGet", pb.MGetRequest(
            keys=[_bytes(key) for key in keys], consistency=self._read(consistency), db=db), True)
        return [value.value if value.found else None for value in reply.values]

    def mset(self, mapping: dict, only_if_none_exist: bool = False, db: int = 0) -> bool:
        pairs = [pb.KeyValue(key=_bytes(k), value=_bytes(v)) for k, v in mapping.items()]
        return self._call(pb_grpc.KVStub, "MSet", pb.MSetRequest(
            pairs=pairs, only_if_none_exist=only_if_none_exist, db=db), False).applied

    def incr(self, key, delta: int = 1, db: int = 0) -> int:
        return self._call(pb_grpc.KVStub, "Incr", pb.IncrRequest(key=_bytes(key), delta=delta, db=db),
                          False).value

    def compare_and_set(self, key, value, expected_value=None, expected_version=None,
                        expected_exists=None, ttl_ms: int = 0, db: int = 0) -> CasResult:
        reply = self._call(pb_grpc.KVStub, "CompareAndSet", cas_request(
            key, value, expected_value, expected_version, expected_exists, ttl_ms, db), False)
        return CasResult(reply.swapped, reply.current.value if reply.current.found else None, reply.version)

    def scan(self, prefix=None, start=None, end=None, page_size: int = 100, keys_only: bool = False,
             consistency: int = None, db: int = 0):
        """Every matching pb.ScanEntry in byte order, fetching pages as needed."""
        cursor = b""
        while True:
            reply = self._call(pb_grpc.KVStub, "Scan", scan_request(
                prefix, start, end, page_size, keys_only, cursor, self._read(consistency), db), True)
            yield from reply.entries
            cursor = reply.next_cursor
            if not cursor:
                return

    def txn(self, compares=(), success=(), failure=(), db: int = 0) -> pb.TxnResponse:
        return self._call(pb_grpc.KVStub, "Txn", pb.TxnRequest(
            compares=list(compares), success=list(success), failure=list(failure), db=db), False)

    # -- Command -----------------------------------------------------------------------------------
    def execute(self, *argv, consistency: int = None, db: int = 0, idempotent: bool = False):
        """Any command; the reply as Python (reply_value). An error reply raises ReplyError."""
        reply = self._call(pb_grpc.CommandStub, "Execute", pb.ExecuteRequest(
            argv=[_bytes(part) for part in argv], consistency=self._read(consistency), db=db),
            idempotent).reply
        value = reply_value(reply)
        if isinstance(value, ReplyError):
            raise value
        return value

    # -- Watch -------------------------------------------------------------------------------------
    def watch(self, key=None, prefix=None, start_after: int = None, include_values: bool = False,
              progress_notify: bool = False, db: int = 0, timeout: float = None, shard: int = 0):
        """pb.Event objects as they are applied. After a dropped connection it reconnects (to the
        next address) and resumes after the last position seen; OUT_OF_RANGE raises."""
        position = start_after
        attempt = 0
        while True:
            stub = pb_grpc.WatchStub(self._channel(self.policy.current))
            request = watch_request(key, prefix, position, include_values, progress_notify, db, shard)
            try:
                for response in stub.Watch(request, timeout=timeout, metadata=self.metadata):
                    attempt = 0
                    position = response.position.revision
                    yield from response.events
            except grpc.RpcError as error:
                wait = self.policy.failed(error, True, attempt)
                if wait is None:
                    raise _error(error) from None
                attempt += 1
                time.sleep(wait)

    # -- Cluster -----------------------------------------------------------------------------------
    def status(self) -> pb.StatusResponse:
        return self._call(pb_grpc.ClusterStub, "Status", pb.StatusRequest(), True)

    def members(self) -> list:
        return list(self._call(pb_grpc.ClusterStub, "Members", pb.MembersRequest(), True).members)

    def transfer_leader(self, target_id: str = "") -> str:
        """Hand leadership to `target_id` (or the best follower); returns the new leader's id."""
        leader = self.status().leader_address
        if leader:
            self.policy.current = leader
        return self._call(pb_grpc.ClusterStub, "TransferLeader",
                          pb.TransferLeaderRequest(target_id=target_id), False).leader_id


class AsyncSpinelRaftClient:
    """The same API for asyncio (grpc.aio); every method is a coroutine, watch/scan are async
    generators."""

    def __init__(self, addresses, password: str = None, username: str = None, timeout: float = 10.0,
                 retries: int = 5, consistency: int = LINEARIZABLE, tls_root_certificates: bytes = None):
        self.policy = _Policy(addresses, retries)
        self.metadata = _metadata(username, password)
        self.timeout = timeout
        self.consistency = consistency
        self.credentials = _credentials(tls_root_certificates)
        self.channels = {}

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self):
        for channel in self.channels.values():
            await channel.close()
        self.channels.clear()

    def _channel(self, address: str):
        channel = self.channels.get(address)
        if channel is None:
            channel = (grpc.aio.secure_channel(address, self.credentials, CHANNEL_OPTIONS) if self.credentials
                       else grpc.aio.insecure_channel(address, CHANNEL_OPTIONS))
            self.channels[address] = channel
        return channel

    async def _call(self, stub_class, method: str, request, idempotent: bool):
        attempt = 0
        while True:
            stub = stub_class(self._channel(self.policy.current))
            try:
                return await getattr(stub, method)(request, timeout=self.timeout, metadata=self.metadata)
            except grpc.RpcError as error:
                wait = self.policy.failed(error, idempotent, attempt)
                if wait is None:
                    raise _error(error) from None
                attempt += 1
                await asyncio.sleep(wait)

    def _read(self, consistency):
        return self.consistency if consistency is None else consistency

    async def get(self, key, consistency: int = None, db: int = 0) -> Optional[bytes]:
        reply = await self._call(pb_grpc.KVStub, "Get", pb.GetRequest(
            key=_bytes(key), consistency=self._read(consistency), db=db), True)
        return reply.value if reply.found else None

    async def get_info(self, key, consistency: int = None, db: int = 0) -> KeyInfo:
        reply = await self._call(pb_grpc.KVStub, "Get", pb.GetRequest(
            key=_bytes(key), consistency=self._read(consistency), db=db, with_metadata=True), True)
        return KeyInfo(reply.value if reply.found else None, reply.version, reply.ttl_ms)

    async def set(self, key, value, ttl_ms: int = 0, nx: bool = False, xx: bool = False,
                  return_previous: bool = False, keep_ttl: bool = False, db: int = 0):
        reply = await self._call(pb_grpc.KVStub, "Set",
                                 set_request(key, value, ttl_ms, nx, xx, return_previous, keep_ttl, db), False)
        if return_previous:
            return reply.applied, reply.previous.value if reply.previous.found else None
        return reply.applied

    async def delete(self, *keys, db: int = 0) -> int:
        reply = await self._call(pb_grpc.KVStub, "Delete", pb.DeleteRequest(
            keys=[_bytes(key) for key in keys], db=db), False)
        return reply.deleted

    async def mget(self, keys: Iterable, consistency: int = None, db: int = 0) -> list:
        reply = await self._call(pb_grpc.KVStub, "MGet", pb.MGetRequest(
            keys=[_bytes(key) for key in keys], consistency=self._read(consistency), db=db), True)
        return [value.value if value.found else None for value in reply.values]

    async def mset(self, mapping: dict, only_if_none_exist: bool = False, db: int = 0) -> bool:
        pairs = [pb.KeyValue(key=_bytes(k), value=_bytes(v)) for k, v in mapping.items()]
        reply = await self._call(pb_grpc.KVStub, "MSet", pb.MSetRequest(
            pairs=pairs, only_if_none_exist=only_if_none_exist, db=db), False)
        return reply.applied

    async def incr(self, key, delta: int = 1, db: int = 0) -> int:
        reply = await self._call(pb_grpc.KVStub, "Incr", pb.IncrRequest(key=_bytes(key), delta=delta, db=db),
                                 False)
        return reply.value

    async def compare_and_set(self, key, value, expected_value=None, expected_version=None,
                              expected_exists=None, ttl_ms: int = 0, db: int = 0) -> CasResult:
        reply = await self._call(pb_grpc.KVStub, "CompareAndSet", cas_request(
            key, value, expected_value, expected_version, expected_exists, ttl_ms, db), False)
        return CasResult(reply.swapped, reply.current.value if reply.current.found else None, reply.version)

    async def scan(self, prefix=None, start=None, end=None, page_size: int = 100, keys_only: bool = False,
                   consistency: int = None, db: int = 0):
        cursor = b""
        while True:
            reply = await self._call(pb_grpc.KVStub, "Scan", scan_request(
                prefix, start, end, page_size, keys_only, cursor, self._read(consistency), db), True)
            for entry in reply.entries:
                yield entry
            cursor = reply.next_cursor
            if not cursor:
                return

    async def txn(self, compares=(), success=(), failure=(), db: int = 0) -> pb.TxnResponse:
        return await self._call(pb_grpc.KVStub, "Txn", pb.TxnRequest(
            compares=list(compares), success=list(success), failure=list(failure), db=db), False)

    async def execute(self, *argv, consistency: int = None, db: int = 0, idempotent: bool = False):
        reply = await self._call(pb_grpc.CommandStub, "Execute", pb.ExecuteRequest(
            argv=[_bytes(part) for part in argv], consistency=self._read(consistency), db=db), idempotent)
        value = reply_value(reply.reply)
        if isinstance(value, ReplyError):
            raise value
        return value

    async def watch(self, key=None, prefix=None, start_after: int = None, include_values: bool = False,
                    progress_notify: bool = False, db: int = 0, shard: int = 0):
        position = start_after
        attempt = 0
        while True:
            stub = pb_grpc.WatchStub(self._channel(self.policy.current))
            request = watch_request(key, prefix, position, include_values, progress_notify, db, shard)
            try:
                async for response in stub.Watch(request, metadata=self.metadata):
                    attempt = 0
                    position = response.position.revision
                    for event in response.events:
                        yield event
            except grpc.RpcError as error:
                wait = self.policy.failed(error, True, attempt)
                if wait is None:
                    raise _error(error) from None
                attempt += 1
                await asyncio.sleep(wait)

    async def status(self) -> pb.StatusResponse:
        return await self._call(pb_grpc.ClusterStub, "Status", pb.StatusRequest(), True)

    async def members(self) -> list:
        return list((await self._call(pb_grpc.ClusterStub, "Members", pb.MembersRequest(), True)).members)

    async def transfer_leader(self, target_id: str = "") -> str:
        leader = (await self.status()).leader_address
        if leader:
            self.policy.current = leader
        reply = await self._call(pb_grpc.ClusterStub, "TransferLeader",
                                 pb.TransferLeaderRequest(target_id=target_id), False)
        return reply.leader_id
