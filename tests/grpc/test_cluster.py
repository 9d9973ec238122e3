"""The gRPC API on a real three-node cluster: members, leader metadata, leadership transfer,
unavailability when the majority is gone, and a client that follows the leader."""
import time

import grpc
import pytest

from spinelraft.client import SpinelRaftClient, SpinelRaftError
from spinelraft.grpc_api import status
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc
from tests.cluster.conftest import Cluster


def grpc_address(cluster, index: int) -> str:
    return "127.0.0.1:%d" % (cluster.base_port + 300 + index)


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(str(tmp_path / "cluster"), 3)
    made.start_all(extra_args=["--proposal-timeout", "2"])
    yield made
    made.stop_all()


def test_cluster_over_grpc(cluster):
    addresses = [grpc_address(cluster, index) for index in range(3)]
    leader = cluster.leader_index()
    follower = (leader + 1) % 3
    with SpinelRaftClient(addresses) as client:
        state = client.status()
        assert state.leader_address == addresses[leader] and state.leader_id == "n%d" % (leader + 1)
        members = client.members()
        assert [m.id for m in members] == ["n1", "n2", "n3"]
        assert [m.is_leader for m in members] == [index == leader for index in range(3)]
        assert [m.grpc_port for m in members] == [cluster.base_port + 300 + i for i in range(3)]
        client.set("k", "v")
    with SpinelRaftClient([addresses[follower]]) as on_follower:  # writes are forwarded
        assert on_follower.set("from-follower", "1")
        assert on_follower.get("from-follower") == b"1"
        assert on_follower.status().role == "follower"

    channel = grpc.insecure_channel(addresses[follower])
    with pytest.raises(grpc.RpcError) as error:
        pb_grpc.ClusterStub(channel).TransferLeader(pb.TransferLeaderRequest(), timeout=10)
    channel.close()
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert dict(error.value.trailing_metadata())[status.LEADER_KEY] == addresses[leader]

    target = "n%d" % (follower + 1)
    with SpinelRaftClient([addresses[follower]]) as admin:
        new_leader = None
        for _attempt in range(20):  # the target must be fully caught up when asked
            try:
                new_leader = admin.transfer_leader(target)
                break
            except SpinelRaftError as refused:
                assert refused.code == grpc.StatusCode.FAILED_PRECONDITION, refused
                time.sleep(0.25)
        assert new_leader == target
        assert admin.status().leader_id == target


def test_no_majority_is_unavailable(cluster):
    leader = cluster.leader_index()
    others = [index for index in range(3) if index != leader]
    with SpinelRaftClient([grpc_address(cluster, leader)]) as client:
        client.set("before", "1")
        for index in others:
            cluster.kill9(index)
        with pytest.raises(SpinelRaftError) as error:
            client.set("after", "2")
        assert error.value.code == grpc.StatusCode.UNAVAILABLE
        assert error.value.applied in ("no", "unknown")
        with pytest.raises(SpinelRaftError) as error:
            client.get("before")  # a linearizable read needs the majority too
        assert error.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        from spinelraft.client import SERIALIZABLE

        assert client.get("before", consistency=SERIALIZABLE) == b"1"  # a stale read is allowed


def test_add_and_remove_a_member_over_grpc(tmp_path):
    cluster = Cluster(str(tmp_path / "grow"), 3, spare=1)
    try:
        cluster.start_all()
        leader = cluster.leader_index()
        cluster.grow(4)
        cluster.start(3, wait=False)
        stub = pb_grpc.ClusterStub(grpc.insecure_channel(grpc_address(cluster, leader)))
        new = pb.Member(id="n4", host="127.0.0.1", port=cluster.port(3), raft_port=cluster.base_port + 103)
        stub.AddMember(pb.AddMemberRequest(member=new), timeout=40)
        cluster.wait_ready(3)
        assert sorted(m.id for m in stub.Members(pb.MembersRequest(), timeout=10).members) == [
            "n1", "n2", "n3", "n4"]
        victim = next(index for index in range(3) if index != leader)
        stub.RemoveMember(pb.RemoveMemberRequest(id="n%d" % (victim + 1)), timeout=40)
        assert len(stub.Members(pb.MembersRequest(), timeout=10).members) == 3
        cluster.client(leader).set("after", "removal")
        assert cluster.client(3).get("after") == b"removal"
    finally:
        cluster.stop_all()
