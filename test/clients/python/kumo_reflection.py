"""Builds message classes for kumod's services from server reflection alone.

Nothing here reads kumo's .proto files: the reflection protocol's own stubs are generated from
its .proto (shipped with @grpc/reflection), and every kumo descriptor comes over the wire.
"""

import importlib
import os
import shutil
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def reflection_stubs(reflection_proto_dir: str):
    """Generates and imports stubs for grpc.reflection.v1 into $KUMO_PY_WORK.

    The .proto is copied under another file name first: generated modules are named after the
    file, and grpc/reflection/... would clash with the installed grpc package. The protobuf
    package (grpc.reflection.v1), which is what goes on the wire, is unchanged.
    """
    from grpc_tools import protoc

    out = os.environ["KUMO_PY_WORK"]
    source = os.path.join(reflection_proto_dir, "grpc/reflection/v1/reflection.proto")
    shutil.copy(source, os.path.join(out, "reflection_v1.proto"))
    code = protoc.main(
        ["protoc", f"-I{out}", f"--python_out={out}", f"--grpc_python_out={out}", "reflection_v1.proto"]
    )
    if code != 0:
        raise SystemExit(f"protoc failed for {source}")
    sys.path.insert(0, out)
    pb2 = importlib.import_module("reflection_v1_pb2")
    pb2_grpc = importlib.import_module("reflection_v1_pb2_grpc")
    return pb2, pb2_grpc


def message_class(pool, full_name: str):
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


class ReflectedServer:
    """The services a server lists and a descriptor pool filled from its reflection answers."""

    def __init__(self, channel: grpc.Channel, reflection_proto_dir: str):
        self.pb2, pb2_grpc = reflection_stubs(reflection_proto_dir)
        self.stub = pb2_grpc.ServerReflectionStub(channel)
        self.channel = channel
        self.pool = descriptor_pool.DescriptorPool()
        self.files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        self.added: set[str] = set()

    def _ask(self, **request):
        [answer] = list(self.stub.ServerReflectionInfo(iter([self.pb2.ServerReflectionRequest(**request)])))
        if answer.HasField("error_response"):
            raise RuntimeError(f"reflection error: {answer.error_response.error_message}")
        return answer

    def services(self) -> list[str]:
        answer = self._ask(list_services="*")
        return sorted(s.name for s in answer.list_services_response.service)

    def _add_file(self, name: str) -> None:
        if name in self.added:
            return
        if name not in self.files:
            answer = self._ask(file_by_filename=name)
            for raw in answer.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                self.files.setdefault(fd.name, fd)
        fd = self.files[name]
        # A pool accepts a file only after its imports: that needs the real import list.
        for dep in fd.dependency:
            self._add_file(dep)
        self.pool.Add(fd)
        self.added.add(name)

    def load_symbol(self, symbol: str) -> None:
        answer = self._ask(file_containing_symbol=symbol)
        first = descriptor_pb2.FileDescriptorProto.FromString(answer.file_descriptor_response.file_descriptor_proto[0])
        for raw in answer.file_descriptor_response.file_descriptor_proto:
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            self.files.setdefault(fd.name, fd)
        self._add_file(first.name)

    def method(self, service: str, method: str):
        """A callable for service/method built from the reflected descriptors."""
        self.load_symbol(service)
        m = self.pool.FindServiceByName(service).methods_by_name[method]
        req = message_class(self.pool, m.input_type.full_name)
        res = message_class(self.pool, m.output_type.full_name)
        call = self.channel.unary_unary(
            f"/{service}/{method}",
            request_serializer=req.SerializeToString,
            response_deserializer=res.FromString,
        )
        return req, call
