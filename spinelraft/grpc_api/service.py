"""gRPC servicers over the node's dispatcher: the same commands, the same state machine as RESP.

Each RPC opens a short-lived Session (authenticated from metadata, with the request's db and
consistency), turns the request into one command argv, and runs it with Node.dispatch: a reply
at once (local reads), or a Slot resolved on the asyncio loop once the write (or the read
barrier) has been applied. Error replies become gRPC status codes (status.py).
"""
import asyncio
import hmac
import time

import grpc

from spinelraft import errors
from spinelraft.config import Member
from spinelraft.errors import CommandError
from spinelraft.grpc_api import status
from spinelraft.grpc_api.convert import optional, to_reply
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc
from spinelraft.node.changefeed import ALL_DBS, RESET
from spinelraft.node.session import Session, Slot
from spinelraft.replies import ErrorReply
from spinelraft.statemachine.commands.txn import txn_keys

SCAN_DEFAULT_LIMIT = 100
SCAN_MAX_LIMIT = 10_000
WATCH_BATCH = 1000
PROGRESS_INTERVAL_S = 1.0
TRANSFER_WAIT_S = 10.0
OPERATORS = {pb.Compare.EQUAL: b"EQ", pb.Compare.NOT_EQUAL: b"NE", pb.Compare.LESS: b"LT",
             pb.Compare.GREATER: b"GT"}


def _int(value: int) -> bytes:
    return b"%d" % value


def shard_for_key(node, key: bytes) -> int:
    """The shard that serves a key (its slot's shard)."""
    return node.shard_of_key(key)


def _member(member: dict) -> Member:
    """A config Member from a node's member dict (base Raft port: shard 0's)."""
    return Member(member["id"], member["host"], member["port"], int(member["raft"].rsplit(":", 1)[1]),
                  member.get("grpc", 0))


def _by_shard(node, keys) -> dict:
    """shard -> its keys (each once, in request order)."""
    groups = {}
    for key in dict.fromkeys(keys):
        groups.setdefault(shard_for_key(node, key), []).append(key)
    return groups


def crossing_keys(keys, shard_of) -> list:
    """[] when every key is in one shard, else (shard, key) of the first key of each shard."""
    first_by_shard = {}
    for key in keys:
        first_by_shard.setdefault(shard_of(key), key)
    if len(first_by_shard) <= 1:
        return []
    return sorted(first_by_shard.items())


class Front:
    """What every servicer shares: members, authentication, sessions, running commands."""

    def __init__(self, node):
        self.node = node
        self.settings = node.settings

    # -- members and the leader -----------------------------------------------------------------
    def members(self) -> list:
        """The replicated member table once membership changed (RAFT ADDNODE/REMOVENODE), else the
        config's members; gRPC ports come from the config (0 for members added later)."""
        return [_member(m) for m in self.node.all_members()]

    def leader(self, shard_id: int = 0):
        """The leader of a shard (of shard 0 by default: the one Status and TransferLeader use)."""
        member = self.node.leader_member(shard_id)
        return None if member is None else _member(member)

    def leader_address(self) -> str:
        member = self.leader()
        if member is None or not member.grpc_port:
            return ""
        return "%s:%d" % (member.host, member.grpc_port)

    # -- requests -------------------------------------------------------------------------------
    def credentials_error(self, context):
        """None when the call may proceed, else the Redis error text (NOAUTH / WRONGPASS)."""
        password = self.settings.requirepass
        if not password:
            return None
        metadata = {key.lower(): value for key, value in context.invocation_metadata() or ()}
        authorization = metadata.get("authorization")
        if authorization is not None:
            scheme, _, given = authorization.partition(" ")
            user = "default" if scheme.lower() == "bearer" else None
        elif "password" in metadata:
            user, given = metadata.get("username", "default"), metadata["password"]
        else:
            return errors.NOAUTH
        if user == "default" and hmac.compare_digest(given.encode(), password.encode()):
            return None
        return errors.WRONGPASS

    async def open(self, request, context) -> Session:
        """A session for one call: authenticated, on the request's db, with its consistency."""
        problem = self.credentials_error(context)
        if problem is not None:
            await self.abort(context, problem)
        session = Session(self.node, context.peer() or "", "", kind="grpc")
        session.authenticated = True
        session.protocol = 3
        db = getattr(request, "db", 0)
        if db >= self.settings.databases:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, errors.DB_INDEX_OUT_OF_RANGE)
        session.db = db
        session.readonly = getattr(request, "consistency", pb.LINEARIZABLE) == pb.SERIALIZABLE
        return session

    async def abort(self, context, message: str):
        code, applied = status.status_for(message)
        leader = self.leader_address() if code == grpc.StatusCode.UNAVAILABLE else ""
        await context.abort(code, message, status.trailing_metadata(code, applied, leader))

    async def run(self, session, argv, context):
        """The command's reply (an ErrorReply too); DEADLINE_EXCEEDED when the deadline passes."""
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the command ran")
        reply = self.node.dispatch(session, argv)
        if type(reply) is not Slot:
            return reply
        slot = reply
        if not slot.ready:
            future = asyncio.get_running_loop().create_future()
            slot.on_ready = lambda: future.done() or future.set_result(None)
            try:
                await asyncio.wait_for(future, context.time_remaining())
            except asyncio.TimeoutError:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                                    "deadline exceeded while the command was replicated "
                                    "(a write may still be applied)",
                                    ((status.APPLIED_KEY, "unknown"),))
        if slot.spec is not None:
            self.node.record(slot.spec, slot.started, slot.reply, None, session)
        return slot.reply

    async def call(self, session, argv, context):
        """run(), with an error reply turned into a gRPC status."""
        reply = await self.run(session, argv, context)
        if type(reply) is ErrorReply:
            await self.abort(context, reply.message)
        return reply


# -- KV --------------------------------------------------------------------------------------------
class KVServicer(pb_grpc.KVServicer):
    def __init__(self, front: Front):
        self.front = front

    async def Get(self, request, context):
        front = self.front
        session = await front.open(request, context)
        if not request.with_metadata:
            value = await front.call(session, [b"GET", request.key], context)
            return pb.GetResponse(found=value is not None, value=value or b"")
        [row] = await front.call(session, [b"SPINELRAFT.KEYINFO", request.key], context)
        type_, value, version, ttl_ms = row
        if type_ not in (b"string", b"none"):
            await front.abort(context, errors.WRONGTYPE)
        return pb.GetResponse(found=type_ == b"string", value=value or b"", version=version, ttl_ms=ttl_ms)

    async def Set(self, request, context):
        front = self.front
        session = await front.open(request, context)
        if request.ttl_ms < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, errors.INVALID_EXPIRE % "set")
        argv = [b"SET", request.key, request.value]
        if request.ttl_ms:
            argv += [b"PX", _int(request.ttl_ms)]
        if request.keep_ttl:
            argv.append(b"KEEPTTL")
        condition = request.condition
        if condition == pb.IF_NOT_EXISTS:
            argv.append(b"NX")
        elif condition == pb.IF_EXISTS:
            argv.append(b"XX")
        if not request.return_previous:
            reply = await front.call(session, argv, context)
            return pb.SetResponse(applied=reply is not None)
        previous = await front.call(session, argv + [b"GET"], context)
        applied = (condition == pb.ALWAYS or (condition == pb.IF_NOT_EXISTS) == (previous is None))
        return pb.SetResponse(applied=applied, previous=optional(previous))

    async def Delete(self, request, context):
        session = await self.front.open(request, context)
        if not request.keys:
            return pb.DeleteResponse(deleted=0)
        groups = _by_shard(self.front.node, request.keys)  # each shard deletes its keys at once
        counts = await asyncio.gather(*(self.front.call(session, [b"DEL", *keys], context)
                                        for keys in groups.values()))
        return pb.DeleteResponse(deleted=sum(counts))

    async def MGet(self, request, context):
        session = await self.front.open(request, context)
        if not request.keys:
            return pb.MGetResponse()
        groups = _by_shard(self.front.node, request.keys)  # one linearizable MGET per shard
        replies = await asyncio.gather(*(self.front.call(session, [b"MGET", *keys], context)
                                         for keys in groups.values()))
        found = {}
        for keys, values in zip(groups.values(), replies):
            found.update(zip(keys, values))
        return pb.MGetResponse(values=[optional(found[key]) for key in request.keys])

    async def MSet(self, request, context):
        session = await self.front.open(request, context)
        if not request.pairs:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ERR MSet needs at least one pair")
        argv = [b"MSETNX" if request.only_if_none_exist else b"MSET"]
        for pair in request.pairs:
            argv += [pair.key, pair.value]
        reply = await self.front.call(session, argv, context)
        return pb.MSetResponse(applied=reply != 0)

    async def Incr(self, request, context):
        session = await self.front.open(request, context)
        reply = await self.front.run(session, [b"INCRBY", request.key, _int(request.delta)], context)
        if type(reply) is ErrorReply:
            await self._incr_failed(reply.message, context)
        return pb.IncrResponse(value=reply)

    async def _incr_failed(self, message: str, context):
        """The delta is typed, so these texts are about the stored value, not the request."""
        if message == errors.NOT_INTEGER:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, message)
        if message == errors.OVERFLOW:
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, message)
        await self.front.abort(context, message)

    async def CompareAndSet(self, request, context):
        front = self.front
        session = await front.open(request, context)
        expected = request.WhichOneof("expected")
        if expected is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "ERR CompareAndSet needs expected_value, expected_version or expected_exists")
        if request.ttl_ms < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, errors.INVALID_EXPIRE % "set")
        key = request.key
        if expected == "expected_value":
            compare = [b"VALUE", key, b"EQ", request.expected_value]
        elif expected == "expected_version":
            compare = [b"VERSION", key, b"EQ", _int(request.expected_version)]
        else:
            compare = [b"EXISTS", key, b"EQ", b"1" if request.expected_exists else b"0"]
        set_op = [b"SET", key, request.value] + ([b"PX", _int(request.ttl_ms)] if request.ttl_ms else [])
        info_op = [b"SPINELRAFT.KEYINFO", key]
        argv = [b"SPINELRAFT.TXN", b"1", *compare, b"2", _int(len(set_op)), *set_op, b"2", *info_op,
                b"1", b"2", *info_op]
        swapped, replies, _ = await front.call(session, argv, context)
        type_, value, version, _ = replies[-1][0]
        return pb.CompareAndSetResponse(swapped=swapped == 1, current=optional(value), version=version)

    async def Scan(self, request, context):
        session = await self.front.open(request, context)
        limit = request.limit or SCAN_DEFAULT_LIMIT
        if limit > SCAN_MAX_LIMIT:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "ERR limit must be between 1 and %d" % SCAN_MAX_LIMIT)
        argv = [b"SPINELRAFT.SCAN", request.cursor, b"LIMIT", _int(limit)]
        selector = request.WhichOneof("selector")
        if selector == "prefix":
            argv += [b"PREFIX", request.prefix]
        elif selector == "range":
            argv += [b"START", request.range.start, b"END", request.range.end]
        if request.keys_only:
            argv.append(b"KEYSONLY")
        next_cursor, rows = await self.front.call(session, argv, context)
        entries = [pb.ScanEntry(key=key, type=(type_ or b"").decode(), value=value or b"", version=version)
                   for key, type_, value, version in rows]
        return pb.ScanResponse(entries=entries, next_cursor=next_cursor)

    async def Txn(self, request, context):
        front = self.front
        session = await front.open(request, context)
        try:
            argv = txn_argv(request)
            keys = txn_keys(argv)
        except (CommandError, ValueError) as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, getattr(error, "message", str(error)))
        crossing = crossing_keys(keys, lambda key: shard_for_key(front.node, key))
        if crossing:
            names = ", ".join("%r (shard %d)" % (key, shard) for shard, key in crossing)
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "CROSSSLOT Keys in request don't hash to the same slot: %s" % names)
        succeeded, replies, versions = await front.call(session, argv, context)
        pairs = [pb.KeyVersion(key=versions[i], version=versions[i + 1]) for i in range(0, len(versions), 2)]
        return pb.TxnResponse(succeeded=succeeded == 1, results=[to_reply(reply) for reply in replies],
                              versions=pairs)


def _compare_argv(index: int, compare) -> list:
    target = compare.WhichOneof("target")
    operator = OPERATORS[compare.operator]
    if target is None:
        raise ValueError("ERR compare %d has no target (value, version, exists or ttl_ms)" % index)
    if target == "value":
        return [b"VALUE", compare.key, operator, compare.value]
    if target == "version":
        return [b"VERSION", compare.key, operator, _int(compare.version)]
    if target == "exists":
        return [b"EXISTS", compare.key, operator, b"1" if compare.exists else b"0"]
    return [b"TTL", compare.key, operator, _int(compare.ttl_ms)]


def _op_argv(op) -> list:
    kind = op.WhichOneof("op")
    if kind == "set":
        ttl = [b"PX", _int(op.set.ttl_ms)] if op.set.ttl_ms else []
        return [b"SET", op.set.key, op.set.value, *ttl]
    if kind == "delete":
        return [b"DEL", op.delete.key]
    if kind == "get":
        return [b"GET", op.get.key]
    if kind == "incr":
        return [b"INCRBY", op.incr.key, _int(op.incr.delta)]
    if kind == "command" and op.command.argv:
        return list(op.command.argv)
    raise ValueError("ERR every TxnOp needs one of set, delete, get, incr or a non-empty command")


def txn_argv(request) -> list:
    argv = [b"SPINELRAFT.TXN", _int(len(request.compares))]
    for index, compare in enumerate(request.compares):
        argv += _compare_argv(index, compare)
    for ops in (request.success, request.failure):
        argv.append(_int(len(ops)))
        for op in ops:
            op_argv = _op_argv(op)
            argv += [_int(len(op_argv)), *op_argv]
    return argv


# -- Command ---------------------------------------------------------------------------------------
class CommandServicer(pb_grpc.CommandServicer):
    def __init__(self, front: Front):
        self.front = front

    async def Execute(self, request, context):
        front = self.front
        session = await front.open(request, context)
        if not request.argv:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ERR argv must name a command")
        reply = await front.run(session, list(request.argv), context)
        if type(reply) is ErrorReply and status.status_for(reply.message)[0] in status.SERVICE_CODES:
            await front.abort(context, reply.message)
        return pb.ExecuteResponse(reply=to_reply(reply))


# -- Watch -----------------------------------------------------------------------------------------
class WatchServicer(pb_grpc.WatchServicer):
    def __init__(self, front: Front):
        self.front = front

    async def Watch(self, request, context):
        front = self.front
        session = await front.open(request, context)
        shard_id = await self._shard(request, context)
        feed = front.node.feed(shard_id)
        after = request.start_after.revision if request.HasField("start_after") else feed.current()
        matches = _matcher(request, session.db)
        feed.readers += 1
        try:
            if feed.read(after, 0)[2]:
                await self._out_of_range(context, after, feed)
            yield pb.WatchResponse(created=True, position=pb.Position(revision=after, shard=shard_id))
            last_sent = time.monotonic()
            sent_position = after
            while True:
                batch, reached, lost = feed.read(after, WATCH_BATCH)
                if lost:
                    await self._out_of_range(context, after, feed)
                events = [_event(change, session.db, request.include_values, shard_id)
                          for change in batch if matches(change)]
                now = time.monotonic()
                if events or (request.progress_notify and reached > sent_position
                              and now - last_sent >= PROGRESS_INTERVAL_S):
                    yield pb.WatchResponse(events=events, position=pb.Position(revision=reached, shard=shard_id))
                    last_sent, sent_position = now, reached
                after = reached
                if len(batch) < WATCH_BATCH:
                    await feed.wait(after, PROGRESS_INTERVAL_S if request.progress_notify else None)
        finally:
            feed.readers -= 1

    async def _shard(self, request, context) -> int:
        """The shard a watch follows: its key's, or the one a prefix watch names; it must be
        replicated here, and a resume position must be of that shard."""
        node = self.front.node
        if request.WhichOneof("selector") == "key":
            shard_id = node.shard_of_key(request.key)
        else:
            shard_id = request.shard
            if shard_id >= node.layout.count:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    "ERR shard %d does not exist (%d shards)" % (shard_id, node.layout.count))
        if request.HasField("start_after") and request.start_after.shard not in (0, shard_id):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "ERR start_after is a position of shard %d, the watch follows shard %d"
                                % (request.start_after.shard, shard_id))
        if shard_id not in node.shards:
            holders = ", ".join(member["id"] for member in node.members_of(shard_id))
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "ERR shard %d is not replicated on this node: watch it on %s" % (shard_id, holders))
        return shard_id

    @staticmethod
    async def _out_of_range(context, after: int, feed):
        await context.abort(grpc.StatusCode.OUT_OF_RANGE,
                            "position %d is older than the history this node keeps (changes after "
                            "%d): read the keys again and watch from a newer position"
                            % (after, feed.floor))


def _matcher(request, db: int):
    selector = request.WhichOneof("selector")
    key = request.key
    prefix = request.prefix

    def matches(change) -> bool:
        if change.db != db and change.db != ALL_DBS:
            return False
        if change.kind == RESET:
            return True
        if selector == "key":
            return change.key == key
        return change.key.startswith(prefix)

    return matches


def _event(change, db: int, include_values: bool, shard_id: int) -> pb.Event:
    value = change.value if include_values and change.value is not None else b""
    return pb.Event(kind=change.kind, key=change.key, value=value, type=change.type.decode(),
                    position=pb.Position(revision=change.revision, shard=shard_id), db=db)


# -- Cluster ---------------------------------------------------------------------------------------
class ClusterServicer(pb_grpc.ClusterServicer):
    def __init__(self, front: Front):
        self.front = front

    async def Status(self, request, context):
        front = self.front
        await front.open(request, context)
        node = front.node
        home = node.home  # the node's first shard (Shards describes every shard)
        if home is None:  # it replicates nothing (yet)
            return pb.StatusResponse(node_id=front.settings.node_id, role="follower", ready=node.is_ready())
        group_status = home.group.status()
        leader = front.leader(home.id)
        return pb.StatusResponse(
            node_id=front.settings.node_id, role=group_status["role"],
            leader_id=leader.id if leader else "", leader_address=front.leader_address(),
            term=group_status["term"], commit_index=group_status["commit_index"],
            applied_index=group_status["last_applied"],
            position=pb.Position(revision=node.feed(home.id).current(), shard=home.id), ready=node.is_ready())

    async def Members(self, request, context):
        front = self.front
        await front.open(request, context)
        leader = front.leader()
        return pb.MembersResponse(members=[
            pb.Member(id=member.id, host=member.host, port=member.port, raft_port=member.raft_port,
                      grpc_port=member.grpc_port, is_leader=leader is not None and member.id == leader.id,
                      is_self=member.id == front.settings.node_id)
            for member in front.members()])

    async def Shards(self, request, context):
        front = self.front
        await front.open(request, context)
        node = front.node
        shards = []
        for shard_id in range(node.layout.count):
            leader = node.leader_member(shard_id)
            local = node.shards.get(shard_id)
            shards.append(pb.Shard(
                id=shard_id, leader_id=leader["id"] if leader else "",
                member_ids=[member["id"] for member in node.members_of(shard_id)],
                applied_index=local.group.status()["last_applied"] if local is not None else 0))
        return pb.ShardsResponse(shards=shards)

    async def TransferLeader(self, request, context):
        front = self.front
        session = await front.open(request, context)
        group = front.node.group
        if not group.is_leader():
            leader = front.leader_address()
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "ERR TransferLeader must be sent to the leader (%s)" % (leader or "unknown"),
                                ((status.LEADER_KEY, leader),) if leader else ())
        target = await self._target(request.target_id, context)
        argv = [b"FAILOVER"] + ([b"TO", target.host.encode(), _int(target.port)] if target else [])
        reply = await front.run(session, argv, context)
        if type(reply) is ErrorReply:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, reply.message)
        return pb.TransferLeaderResponse(leader_id=await self._new_leader(target, context))

    async def _target(self, target_id: str, context):
        front = self.front
        others = [member for member in front.members() if member.id != front.settings.node_id]
        if not others:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                "ERR no other member to transfer leadership to")
        if not target_id:
            return None
        for member in others:
            if member.id == target_id:
                return member
        await context.abort(grpc.StatusCode.NOT_FOUND,
                            "ERR no other member has id %r" % target_id)

    async def _new_leader(self, target, context) -> str:
        front = self.front
        remaining = context.time_remaining()
        deadline = time.monotonic() + min(TRANSFER_WAIT_S, remaining if remaining is not None else TRANSFER_WAIT_S)
        while time.monotonic() < deadline:
            leader = front.leader()
            if leader is not None and leader.id != front.settings.node_id and (
                    target is None or leader.id == target.id):
                return leader.id
            await asyncio.sleep(0.05)
        await context.abort(grpc.StatusCode.UNAVAILABLE,
                            "ERR the transfer was requested but no new leader was seen in time; "
                            "check Status")

    async def AddMember(self, request, context):
        """RAFT ADDNODE: the new node must already run with a config listing every member."""
        front = self.front
        session = await front.open(request, context)
        member = request.member
        if not member.id or not member.port or not member.raft_port:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ERR member needs id, port and raft_port")
        argv = [b"RAFT", b"ADDNODE", member.id.encode(), (member.host or "127.0.0.1").encode(),
                _int(member.port), _int(member.raft_port)]
        await self._membership_change(session, argv, context)
        return pb.AddMemberResponse()

    async def RemoveMember(self, request, context):
        """RAFT REMOVENODE (not the leader: transfer leadership first)."""
        front = self.front
        session = await front.open(request, context)
        if not request.id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ERR member id is required")
        await self._membership_change(session, [b"RAFT", b"REMOVENODE", request.id.encode()], context)
        return pb.RemoveMemberResponse()

    async def _membership_change(self, session, argv, context):
        reply = await self.front.run(session, argv, context)
        if type(reply) is ErrorReply:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, reply.message)
