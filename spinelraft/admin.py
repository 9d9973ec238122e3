"""spinelraft-admin: operate a SpinelRaft node or cluster from the command line."""
import argparse
import socket
import sys


def _command(host: str, port: int, *argv: str, password: str = None) -> bytes:
    """Send one command over RESP and return the raw reply payload (bulk or status)."""
    with socket.create_connection((host, port), timeout=10) as connection:
        stream = connection.makefile("rwb")
        commands = ([("AUTH", password)] if password else []) + [argv]
        for parts in commands:
            stream.write(b"*%d\r\n" % len(parts))
            for part in parts:
                data = part.encode()
                stream.write(b"$%d\r\n%s\r\n" % (len(data), data))
        stream.flush()
        reply = b""
        for _ in commands:
            reply = _read_reply(stream)
        return reply


def _read_reply(stream) -> bytes:
    line = stream.readline()
    if not line:
        raise ConnectionError("connection closed by the server")
    kind, rest = line[:1], line[1:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind in (b"+", b":"):
        return rest
    if kind in (b"$", b"="):
        length = int(rest)
        return b"" if length < 0 else stream.read(length + 2)[:-2]
    if kind == b"*":
        return [_read_reply(stream) for _ in range(max(int(rest), 0))]
    raise RuntimeError("unexpected reply: %r" % line)


def _info_fields(text: bytes) -> dict:
    fields = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            fields[key] = value
    return fields


def _cluster_addresses(args) -> list:
    """RESP addresses of every member, read from the node's CLUSTER NODES."""
    text = _command(args.host, args.port, "CLUSTER", "NODES", password=args.password).decode()
    addresses = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 1:
            host, port = fields[1].split("@")[0].rsplit(":", 1)
            addresses.append((host, int(port)))
    return addresses or [(args.host, args.port)]


def _status_rows(host: str, port: int, password: str) -> list:
    try:
        info = _info_fields(_command(host, port, "INFO", "raft", password=password))
    except (OSError, RuntimeError) as error:
        return [("%s:%d" % (host, port), "-", "unreachable", str(error)[:40], "-", "-", "-", "-")]
    rows = []
    for shard in [int(s) for s in info.get("raft_shards_here", "").split(",") if s]:
        prefix = "shard%d_" % shard
        commit = int(info[prefix + "commit_index"])
        applied = int(info[prefix + "applied_index"])
        rows.append((info.get("raft_node_id", "?") + "@%s:%d" % (host, port), str(shard),
                     info[prefix + "role"], info[prefix + "leader"], info[prefix + "term"],
                     str(commit), str(applied), str(commit - applied)))
    return rows


def _members(args) -> list:
    """RAFT MEMBERS as dicts: id, host, port, raft (base address), shards, leads."""
    rows = _command(args.host, args.port, "RAFT", "MEMBERS", password=args.password)
    members = []
    for row in rows:
        fields = dict(zip(row[::2], row[1::2]))
        members.append({"id": fields[b"id"].decode(), "host": fields[b"host"].decode(),
                        "port": int(fields[b"port"]), "raft": fields[b"raft"].decode(),
                        "shards": [int(s) for s in fields[b"shards"]],
                        "leads": [int(s) for s in fields[b"leads"]]})
    return members


def cmd_status(args):
    header = ("node", "shard", "role", "leader", "term", "commit", "applied", "lag")
    found = []
    for host, port in _cluster_addresses(args):
        found.extend(_status_rows(host, port, args.password))
    # shard by shard, its leader first (unreachable nodes, shard "-", last)
    found.sort(key=lambda row: (row[1] == "-", int(row[1]) if row[1].isdigit() else 0, row[2] != "leader", row[0]))
    rows = [header] + found
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def cmd_add_node(args):
    """Add a started node (its config lists every member, itself included) to the cluster."""
    shard = ("SHARD", str(args.shard)) if args.shard is not None else ()
    reply = _until_leader_known(lambda: _command(args.host, args.port, "RAFT", "ADDNODE", args.id, args.node_host,
                                                 str(args.node_port), str(args.raft_port), *shard,
                                                 password=args.password))
    print(reply.decode())
    return 0


def cmd_remove_node(args):
    shard = ("SHARD", str(args.shard)) if args.shard is not None else ()
    print(_until_leader_known(lambda: _command(args.host, args.port, "RAFT", "REMOVENODE", args.id, *shard,
                                               password=args.password)).decode())
    return 0


def cmd_transfer_leader(args):
    """Hand the leadership of --shard to --to (a node id, or a node's RESP host:port)."""
    target = args.to
    if ":" in target:
        host, port = target.rsplit(":", 1)
        match = [m for m in _members(args) if m["host"] == host and m["port"] == int(port)]
        if not match:
            raise RuntimeError("no member listens on %s" % target)
        target = match[0]["id"]
    shards = [args.shard] if args.shard is not None else None
    if shards is None:  # every shard the target replicates
        shards = next(m["shards"] for m in _members(args) if m["id"] == target)
    for shard in shards:
        reply = _command(args.host, args.port, "RAFT", "TRANSFER", str(shard), target, password=args.password)
        print("shard %d -> %s: %s" % (shard, target, reply.decode()))
    return 0


def cmd_rebalance(args):
    """Move shard replicas and leaders to where the placement puts them for the current nodes
    (after add-node, new nodes get their share): add missing replicas, move leaders to their
    preferred node, then remove the replicas in excess. One change at a time, with progress."""
    import time

    from spinelraft.placement import place

    info = _info_fields(_command(args.host, args.port, "INFO", "raft", password=args.password))
    shard_count = int(info["raft_shards"])
    members = _members(args)
    by_id = {m["id"]: m for m in members}
    target = place([m["id"] for m in members], shard_count, args.replication_factor)
    changes = 0
    for shard, wanted in enumerate(target):
        current = [m["id"] for m in members if shard in m["shards"]]
        for node_id in [n for n in wanted if n not in current]:
            member = by_id[node_id]
            print("shard %d: adding a replica on %s" % (shard, node_id), flush=True)
            _command(args.host, args.port, "RAFT", "ADDNODE", node_id, member["host"], str(member["port"]),
                     member["raft"].rsplit(":", 1)[1], "SHARD", str(shard), password=args.password)
            changes += 1
        leader = next((m["id"] for m in _members(args) if shard in m["leads"]), None)
        if leader != wanted[0]:
            print("shard %d: moving leadership %s -> %s" % (shard, leader, wanted[0]), flush=True)
            _retry(lambda: _command(args.host, args.port, "RAFT", "TRANSFER", str(shard), wanted[0],
                                    password=args.password))
            changes += 1
            time.sleep(1.0)  # let every node learn the new leader before removals
        for node_id in [n for n in current if n not in wanted]:
            member = by_id[node_id]
            print("shard %d: removing the replica on %s" % (shard, node_id), flush=True)
            _retry(lambda: _command(args.host, args.port, "RAFT", "REMOVENODE", node_id, "SHARD", str(shard),
                                    password=args.password))
            _command(member["host"], member["port"], "RAFT", "UNHOST", str(shard), password=args.password)
            changes += 1
    print("rebalanced: %d change%s" % (changes, "" if changes == 1 else "s"))
    return 0


def _until_leader_known(call, attempts: int = 40, pause_s: float = 0.25):
    """A node that just started or joined may not know a shard's leader yet: retry that."""
    import time

    for attempt in range(attempts):
        try:
            return call()
        except RuntimeError as error:
            if not str(error).startswith("CLUSTERDOWN") or attempt == attempts - 1:
                raise
            time.sleep(pause_s)


def _retry(call, attempts: int = 20, pause_s: float = 0.5):
    """A transfer waits for the target to catch up; a removal for the leader to be known."""
    import time

    for attempt in range(attempts):
        try:
            return call()
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            time.sleep(pause_s)


def cmd_snapshot(args):
    print(_command(args.host, args.port, "BGSAVE", password=args.password).decode())
    return 0


def cmd_local_cluster(args):
    from spinelraft import local_cluster

    if args.action == "start":
        return local_cluster.start(args.dir, args.nodes, args.base_port, args.shards, args.replication_factor)
    return local_cluster.stop(args.dir)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="spinelraft-admin", description="Operate SpinelRaft nodes.")
    parser.add_argument("--host", default="127.0.0.1", help="node address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7878, help="node RESP port (default 7878)")
    parser.add_argument("--password", help="requirepass of the node")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="table of shards: role, leader, term, commit/applied index, lag")
    commands.add_parser("snapshot", help="compact the Raft log into a RocksDB snapshot now")
    add = commands.add_parser("add-node", help="add a started node to the cluster (one change at a time)")
    add.add_argument("--id", required=True, help="the new node's node-id")
    add.add_argument("--node-host", default="127.0.0.1", help="its RESP/Raft host")
    add.add_argument("--node-port", type=int, required=True, help="its RESP port")
    add.add_argument("--raft-port", type=int, required=True, help="its Raft port (shard s: + 1000 x s)")
    add.add_argument("--shard", type=int, help="only this shard (default: every shard)")
    remove = commands.add_parser("remove-node", help="remove a node (not the leader) from the cluster")
    remove.add_argument("--id", required=True, help="node-id to remove")
    remove.add_argument("--shard", type=int, help="only from this shard (default: every shard it replicates)")
    transfer = commands.add_parser("transfer-leader", help="hand a shard's leadership to another node")
    transfer.add_argument("--to", required=True, help="node id (n2) or RESP address (127.0.0.1:7001) of the new leader")
    transfer.add_argument("--shard", type=int, help="shard id (default: every shard the target replicates)")
    rebalance = commands.add_parser("rebalance", help="move shard replicas and leaders onto the current nodes")
    rebalance.add_argument("--replication-factor", type=int, default=3, help="replicas per shard (default 3)")
    local = commands.add_parser("local-cluster", help="start or stop N nodes on 127.0.0.1 in the background")
    local.add_argument("action", choices=("start", "stop"))
    local.add_argument("--nodes", type=int, default=3, help="how many nodes (default 3)")
    local.add_argument("--port", dest="base_port", type=int, default=7000,
                       help="RESP port of the first node; Raft ports are +100, metrics +200 (default 7000)")
    local.add_argument("--dir", default="local-cluster", help="directory for configs, data and logs")
    local.add_argument("--shards", type=int, default=1, help="Raft groups (shards) (default 1)")
    local.add_argument("--replication-factor", type=int, help="replicas per shard (default 3, or all nodes when fewer)")
    args = parser.parse_args(argv)
    handlers = {"status": cmd_status, "snapshot": cmd_snapshot, "local-cluster": cmd_local_cluster,
                "transfer-leader": cmd_transfer_leader, "add-node": cmd_add_node,
                "remove-node": cmd_remove_node, "rebalance": cmd_rebalance}
    try:
        return handlers[args.command](args)
    except (OSError, RuntimeError) as error:
        print("spinelraft-admin: %s" % error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
