// Clients for the two standard services, as any gRPC tool would call them:
// health Check and Watch, and reflection's list of services.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LOADER_OPTIONS } from '@course/01-unary';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const require = createRequire(import.meta.url);
const reflectionProtoPath = join(
  dirname(require.resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

// These protos ship with their packages, so they load from there, not from proto/.
function load(file: string) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [dirname(file)] }));
}
// biome-ignore lint/suspicious/noExplicitAny: a loaded package is untyped here; the helpers below give it shape.
const healthPackage = load(healthProtoPath) as any;
// biome-ignore lint/suspicious/noExplicitAny: as above.
const reflectionPackage = load(reflectionProtoPath) as any;

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthClient extends grpc.Client {
  Check(
    req: { service: string },
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: { status: ServingStatus }) => void,
  ): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: ServingStatus }>;
}

export function createHealthClient(target: string, credentials: grpc.ChannelCredentials): HealthClient {
  return new healthPackage.grpc.health.v1.Health(target, credentials);
}

/** Health Check for one service ("" is the whole server). */
export function checkHealth(client: HealthClient, service: string, deadlineMs = 2_000): Promise<ServingStatus> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + deadlineMs }, (err, res) => (err || !res ? reject(err) : resolve(res.status)));
  });
}

/** The services a server describes through reflection (grpc.reflection.v1). */
export function listServices(target: string, credentials: grpc.ChannelCredentials, deadlineMs = 2_000): Promise<string[]> {
  const client: grpc.Client & { ServerReflectionInfo(options: grpc.CallOptions): grpc.ClientDuplexStream<unknown, ReflectionResponse> } =
    new reflectionPackage.grpc.reflection.v1.ServerReflection(target, credentials);
  return new Promise<string[]>((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: Date.now() + deadlineMs });
    call.on('data', (response: ReflectionResponse) => {
      if (response.errorResponse)
        reject(Object.assign(new Error(response.errorResponse.errorMessage), { code: response.errorResponse.errorCode }));
      else resolve((response.listServicesResponse?.service ?? []).map((s) => s.name).sort());
      call.end();
    });
    call.on('error', reject);
    call.write({ listServices: '' });
  }).finally(() => client.close());
}

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}
