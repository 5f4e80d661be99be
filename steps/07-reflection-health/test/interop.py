"""An independent gRPC implementation (Python grpcio) against the lesson 07 server:
health Check, the service list through reflection, and SayHello over TLS with the token.
Usage: interop.py GENERATED_DIR TARGET CA_FILE TOKEN; prints one JSON object."""
import json
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402

import greeter_pb2  # noqa: E402
import greeter_pb2_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import reflection_pb2  # noqa: E402
import reflection_pb2_grpc  # noqa: E402

target, ca_file, token = sys.argv[2], sys.argv[3], sys.argv[4]
with open(ca_file, "rb") as f:
    credentials = grpc.ssl_channel_credentials(root_certificates=f.read())

result = {}
with grpc.secure_channel(target, credentials) as channel:
    health = health_pb2_grpc.HealthStub(channel)
    result["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
        health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status
    )
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
    result["services"] = sorted(s.name for r in responses for s in r.list_services_response.service)
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    reply = greeter.SayHello(greeter_pb2.HelloRequest(name="Python"), timeout=5, metadata=[("authorization", "Bearer " + token)])
    result["reply"] = reply.message
    try:
        greeter.SayHello(greeter_pb2.HelloRequest(name="Python"), timeout=5)
        result["without_token"] = "OK"
    except grpc.RpcError as err:
        result["without_token"] = err.code().name
print(json.dumps(result))
