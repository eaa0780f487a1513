"""Talks to kumod using only what server reflection tells it (argv: socket, reflection proto dir).

Prints one JSON object: the services, the reflected file names and imports, DescribeHost's answer
with the proto's own field names, and how two oversized errors arrive through gRPC C-core.
"""

import json
import sys

import grpc
from google.protobuf import json_format

from kumo_reflection import ReflectedServer


def error_of(call, request):
    try:
        call(request, timeout=30)
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        return {
            "code": e.code().name,
            "ec2_error_code": trailers.get("ec2-error-code"),
            "details": e.details(),
        }
    return {"code": "OK"}


def main() -> None:
    socket, reflection_proto_dir = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(f"unix:{socket}") as channel:
        server = ReflectedServer(channel, reflection_proto_dir)
        services = server.services()

        req, describe_host = server.method("kumo.v1.Host", "DescribeHost")
        host = json_format.MessageToDict(
            describe_host(req(), timeout=30), preserving_proto_field_name=True
        )

        run_req, run = server.method("kumo.v1.Instances", "RunInstances")
        long_type = error_of(run, run_req(instance_type="t" * 9000, min_count=1, max_count=1))

        desc_req, describe = server.method("kumo.v1.Instances", "DescribeInstances")
        ids = [f"i-{n:017x}" for n in range(1, 391)]
        many_ids = error_of(describe, desc_req(instance_ids=ids))

        files = {
            name: sorted(fd.dependency) for name, fd in sorted(server.files.items())
        }
        instance_fields = [
            f.name for f in server.pool.FindMessageTypeByName("kumo.v1.Instance").fields
        ]
    print(
        json.dumps(
            {
                "services": services,
                "files": files,
                "host": host,
                "instance_fields": instance_fields,
                "long_instance_type": long_type,
                "many_unknown_ids": many_ids,
            }
        )
    )


if __name__ == "__main__":
    main()
