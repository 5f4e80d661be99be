// greeter.v2, and greeter.v1 served on top of it: one greeting logic for a
// name in parts, and v1's one string read as a v2 name with no family part.
import { checkName, greeting, loadDefinition, MAX_NAME_LENGTH, type ServiceIdentity, statusError } from '@course/01-unary';
import { currentCaller } from '@course/05-metadata-auth';
import type { ProtoGrpcType as GreeterProto } from '@course/proto/gen/greeter';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloRequest__Output as V1Request } from '@course/proto/gen/greeter/v1/HelloRequest';
import type { GreeterHandlers as V2Handlers } from '@course/proto/gen/greeter/v2/Greeter';
import type { PersonName } from '@course/proto/gen/greeter/v2/PersonName';
import * as grpc from '@grpc/grpc-js';

export const greeterV2Definition = loadDefinition('greeter/v2/greeter.proto');
export const greeterV2 = (grpc.loadPackageDefinition(greeterV2Definition) as unknown as GreeterProto).greeter.v2;
export const GREETER_V2: ServiceIdentity = { name: 'greeter.v2.Greeter', definition: greeterV2Definition };

/** v2's logic: the greeting for a name in parts, or what is wrong with the name. */
export function greetPerson(name: PersonName | null | undefined): { message: string } | { problem: string } {
  const given = name?.given ?? '';
  const family = name?.family ?? '';
  const problem =
    checkName(given) ?? (family.length > MAX_NAME_LENGTH ? `family name must be at most ${MAX_NAME_LENGTH} characters` : undefined);
  if (problem) return { problem };
  const text = greeting(family ? `${given} ${family}` : given);
  // As lesson 05's SayHello does: the caller, when the call says who it is for.
  const userId = currentCaller()?.userId;
  return { message: userId ? `${text} (for user ${userId})` : text };
}

/** A v1 request as v2 reads it: the one string is the given name. */
export function v1AsV2(request: V1Request): { name: PersonName } {
  return { name: { given: request.name, family: '' } };
}

function answer(result: ReturnType<typeof greetPerson>, callback: grpc.sendUnaryData<{ message: string }>): void {
  if ('problem' in result) callback(statusError(grpc.status.INVALID_ARGUMENT, result.problem));
  else callback(null, result);
}

export const sayHelloV2Handler: V2Handlers['SayHello'] = (call, callback) => answer(greetPerson(call.request.name), callback);

/** greeter.v1's SayHello in the canary: v2's logic, so the two versions cannot drift apart. */
export const sayHelloV1OnV2: GreeterHandlers['SayHello'] = (call, callback) => answer(greetPerson(v1AsV2(call.request).name), callback);
