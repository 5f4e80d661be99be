// One registry of the course's descriptors, the buf-built set lesson 07 serves
// by reflection: the HTTP options as protoc wrote them, the messages for the
// proto3 JSON mapping, and the google.rpc error details, all in one place.
import { createFileRegistry, type DescExtension, type DescMethod, type DescService, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSet } from '@course/07-reflection-health';

export const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));

function lookup<T>(found: T | undefined, name: string): T {
  if (!found) throw new Error(`${name} is not in the descriptor set (run pnpm gen)`);
  return found;
}

/** The `(google.api.http)` method option, from google/api/annotations.proto. */
export const httpOption: DescExtension = lookup(registry.getExtension('google.api.http'), 'google.api.http');

export function serviceNamed(name: string): DescService {
  return lookup(registry.getService(name), name);
}

/** The proto comment above a service or a method, on one line; '' when there is none. */
export function commentOf(desc: DescService | DescMethod): string {
  // Source paths: FileDescriptorProto.service = 6, ServiceDescriptorProto.method = 2.
  const service = desc.kind === 'service' ? desc : desc.parent;
  const path = [6, service.file.services.indexOf(service), ...(desc.kind === 'rpc' ? [2, service.methods.indexOf(desc)] : [])];
  const location = service.file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]),
  );
  return (location?.leadingComments ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
