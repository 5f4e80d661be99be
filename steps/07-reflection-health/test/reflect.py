"""A strict reflection client (Python grpcio and protobuf's own descriptor pool):
it learns the server's API from reflection alone, adds every file descriptor to
a fresh pool, which refuses invalid ones, and calls SayHello and Health/Check
through the message classes it built from them.
Usage: reflect.py GENERATED_DIR TARGET CA_FILE TOKEN; prints one JSON object."""
import json
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory  # noqa: E402

import reflection_pb2  # noqa: E402
import reflection_pb2_grpc  # noqa: E402

target, ca_file, token = sys.argv[2], sys.argv[3], sys.argv[4]
with open(ca_file, "rb") as f:
    credentials = grpc.ssl_channel_credentials(root_certificates=f.read())


def ask(stub, **request):
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)]), timeout=5)
    response = next(iter(responses))
    if response.HasField("error_response"):
        raise RuntimeError(response.error_response.error_message)
    return response


pool = descriptor_pool.DescriptorPool()
added = {}


def add_files(serialized):
    """Adds files to the pool, each after the files it imports, as grpcurl or buf would."""
    files = {p.name: p for p in (descriptor_pb2.FileDescriptorProto.FromString(b) for b in serialized)}
    while files:
        ready = [p for p in files.values() if all(d in added for d in p.dependency)]
        if not ready:
            raise RuntimeError("imports that reflection did not send: %s" % sorted(set(d for p in files.values() for d in p.dependency) - set(added)))
        for p in ready:
            pool.AddSerializedFile(p.SerializeToString())
            added[p.name] = True
            del files[p.name]


def message_class(descriptor):
    # protobuf 4.21 (Debian's) has MessageFactory.GetPrototype; later versions GetMessageClass.
    get = getattr(message_factory, "GetMessageClass", None)
    return get(descriptor) if get else message_factory.MessageFactory(pool).GetPrototype(descriptor)


def call(channel, service, method, body, metadata=()):
    m = pool.FindServiceByName(service).FindMethodByName(method)
    request, reply = message_class(m.input_type), message_class(m.output_type)
    rpc = channel.unary_unary("/%s/%s" % (service, method), request.SerializeToString, reply.FromString)
    return json_format.MessageToDict(rpc(json_format.ParseDict(body, request()), timeout=5, metadata=metadata))


result = {}
with grpc.secure_channel(target, credentials) as channel:
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    services = sorted(s.name for s in ask(reflection, list_services="").list_services_response.service)
    for name in services:
        add_files(ask(reflection, file_containing_symbol=name).file_descriptor_response.file_descriptor_proto)
    result["files"] = sorted(added)
    result["methods"] = {s: sorted(m.name for m in pool.FindServiceByName(s).methods) for s in services}
    result["say_hello"] = call(channel, "greeter.v1.Greeter", "SayHello", {"name": "Ada"}, [("authorization", "Bearer " + token)])
    result["health"] = call(channel, "grpc.health.v1.Health", "Check", {"service": ""})
print(json.dumps(result))
