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
    shard = 0
    while "shard%d_role" % shard in info:
        prefix = "shard%d_" % shard
        commit = int(info[prefix + "commit_index"])
        applied = int(info[prefix + "applied_index"])
        rows.append((info.get("raft_node_id", "?") + "@%s:%d" % (host, port), str(shard),
                     info[prefix + "role"], info[prefix + "leader"], info[prefix + "term"],
                     str(commit), str(applied), str(commit - applied)))
        shard += 1
    return rows


def cmd_status(args):
    rows = [("node", "shard", "role", "leader", "term", "commit", "applied", "lag")]
    for host, port in _cluster_addresses(args):
        rows.extend(_status_rows(host, port, args.password))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def cmd_add_node(args):
    """Add a started node (its config lists every member, itself included) to the cluster."""
    reply = _command(args.host, args.port, "RAFT", "ADDNODE", args.id, args.node_host,
                     str(args.node_port), str(args.raft_port), password=args.password)
    print(reply.decode())
    return 0


def cmd_remove_node(args):
    print(_command(args.host, args.port, "RAFT", "REMOVENODE", args.id, password=args.password).decode())
    return 0


def cmd_transfer_leader(args):
    """Ask the current leader to hand leadership to --to (a node's RESP host:port)."""
    host, port = args.to.rsplit(":", 1)
    print(_command(host, int(port), "REPLICAOF", "NO", "ONE", password=args.password).decode())
    return 0


def cmd_snapshot(args):
    print(_command(args.host, args.port, "BGSAVE", password=args.password).decode())
    return 0


def cmd_local_cluster(args):
    from spinelraft import local_cluster

    if args.action == "start":
        return local_cluster.start(args.dir, args.nodes, args.base_port)
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
    add.add_argument("--raft-port", type=int, required=True, help="its Raft port")
    remove = commands.add_parser("remove-node", help="remove a node (not the leader) from the cluster")
    remove.add_argument("--id", required=True, help="node-id to remove")
    transfer = commands.add_parser("transfer-leader", help="make the node at --to HOST:PORT the Raft leader")
    transfer.add_argument("--to", required=True, help="RESP address of the new leader, e.g. 127.0.0.1:7001")
    transfer.add_argument("--shard", type=int, default=0, help="shard (only shard 0 exists today)")
    local = commands.add_parser("local-cluster", help="start or stop N nodes on 127.0.0.1 in the background")
    local.add_argument("action", choices=("start", "stop"))
    local.add_argument("--nodes", type=int, default=3, help="how many nodes (default 3)")
    local.add_argument("--port", dest="base_port", type=int, default=7000,
                       help="RESP port of the first node; Raft ports are +100, metrics +200 (default 7000)")
    local.add_argument("--dir", default="local-cluster", help="directory for configs, data and logs")
    args = parser.parse_args(argv)
    handlers = {"status": cmd_status, "snapshot": cmd_snapshot, "local-cluster": cmd_local_cluster,
                "transfer-leader": cmd_transfer_leader, "add-node": cmd_add_node,
                "remove-node": cmd_remove_node}
    try:
        return handlers[args.command](args)
    except (OSError, RuntimeError) as error:
        print("spinelraft-admin: %s" % error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
