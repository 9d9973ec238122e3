"""Outgoing Raft connections leave from the node's own address.

pysyncobj connects to a peer without binding the socket, so the kernel picks the source address:
on a host with several addresses (or nodes on 127.0.0.2, 127.0.0.3 ... of one machine) a peer
sees the connection come from whichever address the route prefers, not the one in the members
list. Binding the source to the configured host makes every packet between two nodes carry both
nodes' own addresses, which is what firewall rules (and the jepsen partition nemesis) match on.
"""
import socket
import types

import pysyncobj.tcp_connection as tcp_connection

WILDCARDS = ("", "0.0.0.0", "::")


def bind_outgoing_connections(host: str):
    """Make pysyncobj's new connections bind to host (a process runs one node)."""
    if host in WILDCARDS:
        return

    class SourceBoundSocket(socket.socket):
        def connect(self, address):
            if self.family == socket.AF_INET and ":" not in host:
                self.bind((host, 0))
            return super().connect(address)

    module = types.ModuleType("socket_with_source")
    module.__dict__.update(vars(socket))
    module.socket = SourceBoundSocket
    tcp_connection.socket = module
