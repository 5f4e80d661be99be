// Validation from the proto: a server interceptor that checks each request
// message against its buf.validate rules with @bufbuild/protovalidate, and
// refuses a bad one with INVALID_ARGUMENT and a google.rpc.BadRequest that
// lists every field violation, before any handler sees it.
import { serviceDefinition, type ServiceIdentity } from '@course/01-unary';
import { encodeStatus, STATUS_DETAILS_KEY } from '@course/18-rate-limiting';
import { create, type DescMessage, fromBinary } from '@bufbuild/protobuf';
import { pathToString } from '@bufbuild/protobuf/reflect';
import { createValidator, type Violation } from '@bufbuild/protovalidate';
import * as grpc from '@grpc/grpc-js';
import { CONTRACT, checkRulesMatchContract, RULES } from './rules.js';

/** One entry of a google.rpc.BadRequest, as the client decodes it. */
export interface FieldViolation {
  /** The field's path, proto names: `name`, `items[2].sku`. */
  field: string;
  description: string;
  /** The rule that failed, UPPER_SNAKE (`STRING_MAX_LEN`, `NAME_TRIMMED`), for code to branch on. */
  reason: string;
}

export const BAD_REQUEST_TYPE = 'google.rpc.BadRequest';

export function fieldViolation(v: Violation): FieldViolation {
  return { field: pathToString(v.field), description: v.message, reason: v.ruleId.toUpperCase().replace(/[^A-Z0-9]+/g, '_') };
}

/** The status a refused message gets: INVALID_ARGUMENT, a one-line message, and every violation in the trailer. */
export function badRequestStatus(violations: FieldViolation[]): Partial<grpc.StatusObject> {
  const count = violations.length === 1 ? '1 field violation' : `${violations.length} field violations`;
  const details = `invalid request: ${count} (${violations.map((v) => v.field).join(', ')})`;
  const metadata = new grpc.Metadata();
  metadata.set(
    STATUS_DETAILS_KEY,
    encodeStatus(grpc.status.INVALID_ARGUMENT, details, [{ type: BAD_REQUEST_TYPE, value: { fieldViolations: violations } }]),
  );
  return { code: grpc.status.INVALID_ARGUMENT, details, metadata };
}

/** What a method's request is checked with: the proto-loader serializer (its bytes) and the schema with the rules. */
interface Checked {
  serialize(value: unknown): Buffer;
  schema: DescMessage;
}

export interface ValidationOptions {
  /** The service whose requests are checked (lesson 01's GREETER by default). */
  service: ServiceIdentity;
}

/**
 * Builds, once, the table of the service's methods whose request type has rules; the interceptor then
 * does per message one table look-up, one encode, one decode and the validator's (cached, compiled) rules.
 */
export function createValidation({ service }: ValidationOptions): grpc.ServerInterceptor {
  const validator = createValidator({ registry: RULES });
  const withRules = new Map(checkRulesMatchContract().map((m) => [m.typeName, m]));
  const served = CONTRACT.getService(service.name);
  if (!served) throw new Error(`${service.name} is not in the contract's descriptor set`);
  const methods = new Map<string, Checked>();
  for (const [name, definition] of Object.entries(serviceDefinition(service))) {
    const schema = withRules.get(served.methods.find((m) => m.name === name)?.input.typeName ?? '');
    if (!schema) continue;
    // Compiles the rules now: a rule that does not compile stops the server here, not a call later.
    const compiled = validator.validate(schema, create(schema));
    if (compiled.kind === 'error') throw compiled.error;
    methods.set(definition.path, { serialize: definition.requestSerialize, schema });
  }

  return (method, call) => {
    const checked = methods.get(method.path);
    if (!checked) return new grpc.ServerInterceptingCall(call);
    let refused = false;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage(message, nextMessage) {
            if (refused) return;
            // proto-loader's objects are not protobuf-es messages (longs as strings, oneof
            // markers); the wire format is what both agree on, so the check reads the same bytes.
            const request = fromBinary(checked.schema, checked.serialize(message));
            const result = validator.validate(checked.schema, request);
            if (result.kind === 'valid') return nextMessage(message);
            refused = true;
            // A rule that cannot be evaluated is the server's fault, never the caller's.
            if (result.kind === 'error') return call.sendStatus({ code: grpc.status.INTERNAL, details: 'request validation failed' });
            // On a stream too: the call ends here, with what was already delivered kept (lesson 03's room drops a bad member the same way).
            call.sendStatus(badRequestStatus(result.violations.map(fieldViolation)));
          },
          onReceiveHalfClose(next) {
            if (!refused) next();
          },
        }),
    });
  };
}
