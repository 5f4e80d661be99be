"""A client in another gRPC implementation (Python grpcio, on C-core: no code shared with
grpc-js) calls one lesson's running server and prints what it saw as one JSON object.

The stubs are compiled from the course's .proto files at run time (grpc_tools.protoc, into a
temporary folder), so a change that breaks the wire shows up here. What to try comes from
--features: a lesson adds features, never a copy of this script. kit/test/interop.test.ts
runs it against every lesson's `serve` and compares the JSON with what the lesson promises.

usage: interop.py --target HOST:PORT --proto-root DIR [-I DIR ...] [--features stream,chat,auth,tls,health,
                  reflection,metrics,validation] [--token T] [--ca FILE --other-ca FILE] [--health-proto FILE]
                  [--reflection-proto FILE] [--rpc-proto-root DIR] [--metrics-url URL ...] [--sigterm PID]
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import urllib.request

try:
    import grpc
    import grpc_tools
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc
except ImportError as missing:
    sys.exit(f"interop: {missing.name} is missing: install the Debian packages python3-grpcio python3-grpc-tools")

FEATURES = {"stream", "chat", "auth", "tls", "health", "reflection", "metrics", "validation"}
# Every call gets a deadline: a server that stops answering fails the check, it never hangs it.
TIMEOUT = 5
# Long enough to still be running when SIGTERM lands, short enough for the drain to finish it.
DRAINED_COUNT = 5


# The rich error model's messages, compiled from the directory of the npm package google-proto-files.
RPC_PROTOS = ["google/rpc/status.proto", "google/rpc/error_details.proto"]


def imported_elsewhere(proto_root, include_dirs, file):
    """What `file` imports, transitively, from the other include directories (google/api/*): those need stubs too."""
    found, todo = [], [file]
    while todo:
        current = todo.pop()
        path = next(os.path.join(d, current) for d in [proto_root, *include_dirs] if os.path.exists(os.path.join(d, current)))
        with open(path, encoding="utf-8") as f:
            for name in re.findall(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"', f.read(), re.M):
                if name.startswith("google/protobuf/") or name in found or os.path.exists(os.path.join(proto_root, name)):
                    continue
                found.append(name)
                todo.append(name)
    return found


def compile_stubs(out, proto_root, include_dirs, extra_protos, rpc_proto_root=None):
    includes = [proto_root, *include_dirs, os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")]
    includes += [os.path.dirname(p) for p in extra_protos]
    greeter = "greeter/v1/greeter.proto"
    files = [greeter, *imported_elsewhere(proto_root, include_dirs, greeter)] + [os.path.basename(p) for p in extra_protos]
    if rpc_proto_root:
        # Debian's grpc_tools bundles protoc 3.5, older than proto3 `optional` (3.12), which
        # error_details.proto uses: these two come from Debian's own protoc (protobuf-compiler),
        # the same release line as the python3-protobuf runtime that loads them.
        rpc = ["protoc", f"-I{rpc_proto_root}", f"--python_out={out}", *RPC_PROTOS]
        if subprocess.run(rpc, check=False).returncode != 0:
            sys.exit(f"interop: protoc could not compile {', '.join(RPC_PROTOS)}")
    argv = ["protoc", *(f"-I{i}" for i in includes), f"--python_out={out}", f"--grpc_python_out={out}", *files]
    if protoc.main(argv) != 0:
        sys.exit(f"interop: protoc could not compile {', '.join(files)}")
    sys.path.insert(0, out)


def failure(err):
    return f"{err.code().name}: {err.details()}"


def code_of(call):
    """How a call that should fail ended: its status code name, or OK if it did not fail."""
    try:
        call()
        return "OK"
    except grpc.RpcError as err:
        return err.code().name


class ChatMember:
    """One Chat call, its messages sent from a queue so the test decides when to send and when to leave."""

    def __init__(self, stub, pb, name, metadata):
        self.pb, self.name = pb, name
        self.outgoing = queue.Queue()
        self.call = stub.Chat(iter(self.outgoing.get, None), timeout=TIMEOUT * 2, metadata=metadata)

    def say(self, text):
        self.outgoing.put(self.pb.ChatMessage(**{"from": self.name, "text": text}))

    def receive(self):
        m = next(self.call)
        return f"{getattr(m, 'from')}: {m.text}"

    def leave(self):
        """Half-closes (the member leaves); returns what else arrived and how the call ended."""
        self.outgoing.put(None)
        return self.rest()

    def rest(self):
        try:
            rest = [f"{getattr(m, 'from')}: {m.text}" for m in self.call]
            return rest, "OK"
        except grpc.RpcError as err:
            return [], err.code().name
        finally:
            self.outgoing.put(None)


def greeter_calls(pb, stub, features, metadata, result):
    try:
        result["SayHello"] = stub.SayHello(pb.HelloRequest(name="Python"), timeout=TIMEOUT, metadata=metadata).message
    except grpc.RpcError as err:
        result["SayHello"] = failure(err)
    result['SayHello ""'] = code_of(lambda: stub.SayHello(pb.HelloRequest(name=""), timeout=TIMEOUT, metadata=metadata))
    if "auth" in features:
        result["SayHello without a token"] = code_of(lambda: stub.SayHello(pb.HelloRequest(name="Python"), timeout=TIMEOUT))
        wrong = [("authorization", "Bearer not-the-token")]
        result["SayHello with a wrong token"] = code_of(
            lambda: stub.SayHello(pb.HelloRequest(name="Python"), timeout=TIMEOUT, metadata=wrong)
        )
    if "stream" in features:
        try:
            replies = stub.StreamGreetings(pb.HelloRequest(name="Python", count=3), timeout=TIMEOUT, metadata=metadata)
            result["StreamGreetings × 3"] = [f"#{r.sequence} {r.message}" for r in replies]
        except grpc.RpcError as err:
            result["StreamGreetings × 3"] = failure(err)
        result['StreamGreetings ""'] = code_of(
            lambda: list(stub.StreamGreetings(pb.HelloRequest(name=""), timeout=TIMEOUT, metadata=metadata))
        )
    if "chat" in features:
        # Each member's own message coming back proves it has joined, so ana is in the room
        # before bo speaks: ana must see both messages, bo only its own.
        ana = ChatMember(stub, pb, "ana", metadata)
        ana.say("hi from ana")
        seen = {"ana": [ana.receive()]}
        bo = ChatMember(stub, pb, "bo", metadata)
        bo.say("hi from bo")
        seen["bo"] = [bo.receive()]
        seen["ana"].append(ana.receive())
        endings = {}
        for name, member in (("bo", bo), ("ana", ana)):
            rest, endings[name] = member.leave()
            seen[name] += rest
        result["Chat"] = {"received": seen, "status": endings}


def field_violations(err):
    """The google.rpc.BadRequest in a refused call's grpc-status-details-bin trailer, as `field REASON: description`."""
    from google.rpc import error_details_pb2, status_pb2

    raw = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None:
        return f"{err.code().name}, no status details"
    status = status_pb2.Status.FromString(raw)
    found = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found += [f"{v.field} {v.reason}: {v.description}" for v in bad.field_violations]
    return {"code": err.code().name, "status code": status.code, "violations": found}


def validation_checks(pb, stub, metadata, result):
    """Requests that break the rules: each refusal's violations, decoded with Python's own protobuf."""

    def refused(call):
        try:
            call()
            return "OK"
        except grpc.RpcError as err:
            return field_violations(err)

    result['SayHello " Ada" (BadRequest)'] = refused(
        lambda: stub.SayHello(pb.HelloRequest(name=" Ada"), timeout=TIMEOUT, metadata=metadata)
    )
    result['StreamGreetings "" × 20000 (BadRequest)'] = refused(
        lambda: list(stub.StreamGreetings(pb.HelloRequest(name="", count=20000), timeout=TIMEOUT, metadata=metadata))
    )


def tls_refusals(target, pb, pb_grpc, other_ca_file, result):
    """Clients that must not get through: plaintext, and TLS trusting a CA other than the course's."""
    with open(other_ca_file, "rb") as f:
        other = grpc.ssl_channel_credentials(root_certificates=f.read())
    for label, channel in (
        ("TLS, client trusts another CA", grpc.secure_channel(target, other)),
        ("plaintext to a TLS server", grpc.insecure_channel(target)),
    ):
        with channel:
            stub = pb_grpc.GreeterStub(channel)
            result[label] = code_of(lambda: stub.SayHello(pb.HelloRequest(name="Python"), timeout=TIMEOUT))


def health_checks(channel, result):
    import health_pb2
    import health_pb2_grpc

    health = health_pb2_grpc.HealthStub(channel)
    statuses = {}
    for service in ("", "greeter.v1.Greeter", "no.such.Service"):
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
            statuses[service] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as err:
            statuses[service] = err.code().name
    result["health Check (no token)"] = statuses


def fields_of(file_proto):
    """Every message's fields as `name=number type`, the part of a .proto the wire depends on."""
    kinds = {v: k.removeprefix("TYPE_").lower() for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}
    return {m.name: [f"{f.name}={f.number} {kinds[f.type]}" for f in m.field] for m in file_proto.message_type}


def reflection_checks(channel, greeter_descriptor, result):
    import reflection_pb2
    import reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="greeter.v1.Greeter"),
    ]
    listed, described = stub.ServerReflectionInfo(iter(requests), timeout=TIMEOUT)
    services = sorted(s.name for s in listed.list_services_response.service)
    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in described.file_descriptor_response.file_descriptor_proto]
    served = next((f for f in files if f.package == "greeter.v1"), descriptor_pb2.FileDescriptorProto())
    ours = descriptor_pb2.FileDescriptorProto()
    greeter_descriptor.CopyToProto(ours)
    server_fields, our_fields = fields_of(served), fields_of(ours)
    differ = sorted(n for n in server_fields.keys() | our_fields.keys() if server_fields.get(n) != our_fields.get(n))
    result["reflection (no token)"] = {
        "services": services,
        "greeter.v1.Greeter methods": [m.name for s in served.service if s.name == "Greeter" for m in s.method],
        "messages that differ from the client's .proto": {n: {"server": server_fields.get(n), "client": our_fields.get(n)} for n in differ},
    }


LABEL = re.compile(r'(\w+)="([^"]*)"')
# The services this client calls: other series (a second process's own API) are not its to count.
CALLED = {"greeter.v1.Greeter", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"}


def handled_totals(urls):
    """grpc_server_handled_total for the services called, summed over every metrics URL, zeros left out."""
    totals = {}
    for url in urls:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            text = response.read().decode()
        for line in text.splitlines():
            if not line.startswith("grpc_server_handled_total{"):
                continue
            labels_text, value = line[len("grpc_server_handled_total{") :].rsplit("} ", 1)
            labels = dict(LABEL.findall(labels_text))
            if labels.get("grpc_service") not in CALLED:
                continue
            key = f"{labels['grpc_service']}/{labels['grpc_method']} {labels['grpc_type']} {labels['grpc_code']}"
            totals[key] = totals.get(key, 0) + int(float(value))
    return {k: v for k, v in sorted(totals.items()) if v != 0}


def sigterm_with_streams_open(pid, pb, stub, channel, features, metadata):
    """Opens every stream the lesson has, sends SIGTERM, and reports how each one ended."""
    opened, ended = [], {}

    def open_stream(label, start):
        try:
            opened.append((label, start()))
        except grpc.RpcError as err:
            ended[label] = f"did not open: {failure(err)}"

    def greetings():
        call = stub.StreamGreetings(pb.HelloRequest(name="Python", count=DRAINED_COUNT), timeout=TIMEOUT * 2, metadata=metadata)
        next(call)
        return lambda: f"{1 + len(list(call))} greetings, OK"

    def chat():
        member = ChatMember(stub, pb, "cy", metadata)
        member.say("still here")
        try:
            member.receive()
        except grpc.RpcError:
            member.outgoing.put(None)
            raise
        return lambda: member.rest()[1]

    def watch():
        import health_pb2
        import health_pb2_grpc

        name = health_pb2.HealthCheckResponse.ServingStatus.Name
        call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT * 2)
        before = name(next(call).status)

        def after():
            # The Watch would hold the drain for the whole grace period: done once it has seen the change.
            status = name(next(call).status)
            call.cancel()
            return [before, status]

        return after

    if "stream" in features:
        open_stream(f"StreamGreetings × {DRAINED_COUNT}", greetings)
    if "chat" in features:
        open_stream("Chat", chat)
    if "health" in features:
        open_stream("health Watch", watch)
    os.kill(pid, signal.SIGTERM)
    # Health changes first, then the room closes, and the stream ends last, when it has drained.
    for label, finish in reversed(opened):
        try:
            ended[label] = finish()
        except grpc.RpcError as err:
            ended[label] = failure(err)
    return ended


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target")
    parser.add_argument("--proto-root")
    parser.add_argument("-I", "--include", action="append", default=[], metavar="DIR", help="another include directory (google/api)")
    parser.add_argument("--features", default="", help="comma-separated: " + ",".join(sorted(FEATURES)))
    parser.add_argument("--token", help="sent as authorization: Bearer TOKEN (auth)")
    parser.add_argument("--ca", help="the course CA, which the client trusts (tls)")
    parser.add_argument("--other-ca", help="a CA the server's certificate is not from (tls)")
    parser.add_argument("--health-proto")
    parser.add_argument("--reflection-proto")
    parser.add_argument("--rpc-proto-root", help="the directory with google/rpc/*.proto (validation)")
    parser.add_argument("--metrics-url", action="append", default=[])
    parser.add_argument("--sigterm", type=int, metavar="PID", help="at the end, SIGTERM this process with streams open")
    args = parser.parse_args()
    features = set(filter(None, args.features.split(",")))
    if not args.target or not args.proto_root or features - FEATURES:
        parser.error(f"--target and --proto-root are required; features are {', '.join(sorted(FEATURES))}")

    extra = [p for f, p in (("health", args.health_proto), ("reflection", args.reflection_proto)) if f in features]
    if None in extra:
        parser.error("health needs --health-proto, reflection needs --reflection-proto")
    if "validation" in features and not args.rpc_proto_root:
        parser.error("validation needs --rpc-proto-root")
    stubs = tempfile.TemporaryDirectory(prefix="course-interop-")
    compile_stubs(
        stubs.name,
        args.proto_root,
        [d for d in args.include if d != args.proto_root],
        extra,
        args.rpc_proto_root if "validation" in features else None,
    )
    from greeter.v1 import greeter_pb2 as pb
    from greeter.v1 import greeter_pb2_grpc as pb_grpc

    metadata = [("authorization", f"Bearer {args.token}")] if "auth" in features else None
    result = {}
    if "tls" in features:
        with open(args.ca, "rb") as f:
            channel = grpc.secure_channel(args.target, grpc.ssl_channel_credentials(root_certificates=f.read()))
    else:
        channel = grpc.insecure_channel(args.target)
    with channel:
        stub = pb_grpc.GreeterStub(channel)
        greeter_calls(pb, stub, features, metadata, result)
        if "validation" in features:
            validation_checks(pb, stub, metadata, result)
        if "tls" in features:
            tls_refusals(args.target, pb, pb_grpc, args.other_ca, result)
        if "health" in features:
            health_checks(channel, result)
        if "reflection" in features:
            reflection_checks(channel, pb.DESCRIPTOR, result)
        if "metrics" in features:
            result["grpc_server_handled_total"] = handled_totals(args.metrics_url)
        if args.sigterm is not None:
            result["SIGTERM with streams open"] = sigterm_with_streams_open(args.sigterm, pb, stub, channel, features, metadata)
    stubs.cleanup()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
