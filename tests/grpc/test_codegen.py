"""The checked-in generated code is exactly what `make proto` writes from the .proto file."""
import pytest

from spinelraft.grpc_api import codegen


def test_generated_code_matches_the_proto():
    pytest.importorskip("grpc_tools")
    assert codegen.differences(codegen.generate()) == [], "run make proto"


def test_generated_modules_import():
    from spinelraft.grpc_api.generated import spinelraft_pb2, spinelraft_pb2_grpc

    assert spinelraft_pb2.DESCRIPTOR.package == "spinelraft.v1"
    assert {service for service in spinelraft_pb2.DESCRIPTOR.services_by_name} == {
        "KV", "Command", "Watch", "Cluster"}
    assert hasattr(spinelraft_pb2_grpc, "KVServicer")
