"""Launches and terminates one instance from stubs generated from proto/ (argv: socket, proto dir).

The stubs come from kumo's .proto files through grpc_tools.protoc, as a Python user would make
them. Prints one JSON object: what a dry run answered, the instance, and the states it went
through until terminated.
"""

import glob
import importlib
import json
import os
import sys
import time
import uuid

import grpc
import grpc_tools
from grpc_tools import protoc


def generate_stubs(proto_dir: str):
    out = os.environ["KUMO_PY_WORK"]
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = sorted(os.path.relpath(p, proto_dir) for p in glob.glob(os.path.join(proto_dir, "kumo/v1/*.proto")))
    code = protoc.main(
        ["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    if code != 0:
        raise SystemExit(f"protoc failed on {files}")
    sys.path.insert(0, out)
    return (
        importlib.import_module("kumo.v1.instances_pb2"),
        importlib.import_module("kumo.v1.instances_pb2_grpc"),
    )


def wait_for(stub, pb2, instance_id: str, state: str, timeout_s: float, seen: list) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        res = stub.DescribeInstances(pb2.DescribeInstancesRequest(instance_ids=[instance_id]), timeout=30)
        current = res.reservations[0].instances[0].state.name
        if not seen or seen[-1] != current:
            seen.append(current)
        if current == state:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{instance_id} is {current}, not {state}, after {timeout_s} s (seen {seen})")
        time.sleep(1)


def main() -> None:
    socket, proto_dir = sys.argv[1], sys.argv[2]
    pb2, pb2_grpc = generate_stubs(proto_dir)
    with grpc.insecure_channel(f"unix:{socket}") as channel:
        stub = pb2_grpc.InstancesStub(channel)
        request = pb2.RunInstancesRequest(
            instance_type="t3.micro", min_count=1, max_count=1, client_token=str(uuid.uuid4())
        )

        dry = pb2.RunInstancesRequest()
        dry.CopyFrom(request)
        dry.dry_run = True
        try:
            stub.RunInstances(dry, timeout=60)
            dry_run = {"code": "OK"}
        except grpc.RpcError as e:
            dry_run = {"code": e.code().name, "ec2_error_code": dict(e.trailing_metadata() or ()).get("ec2-error-code")}

        reservation = stub.RunInstances(request, timeout=300).reservation
        instance = reservation.instances[0]
        seen: list = [instance.state.name]
        wait_for(stub, pb2, instance.instance_id, "running", 300, seen)
        running = stub.DescribeInstances(
            pb2.DescribeInstancesRequest(instance_ids=[instance.instance_id]), timeout=30
        ).reservations[0].instances[0]
        stub.TerminateInstances(pb2.TerminateInstancesRequest(instance_ids=[instance.instance_id]), timeout=60)
        wait_for(stub, pb2, instance.instance_id, "terminated", 120, seen)
    print(
        json.dumps(
            {
                "dry_run": dry_run,
                "instance_id": instance.instance_id,
                "instance_type": running.instance_type,
                "availability_zone": running.placement.availability_zone,
                "network_interface_id": running.network_interfaces[0].network_interface_id,
                "launch_time_seconds": running.launch_time.seconds,
                "states": seen,
            }
        )
    )


if __name__ == "__main__":
    main()
