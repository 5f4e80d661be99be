// Validation from the proto: a server interceptor that checks each request
// message against its buf.validate rules with @bufbuild/protovalidate, and
// refuses a bad one with INVALID_ARGUMENT and a google.rpc.BadRequest that
// lists every field violation, before any handler sees it.

import { create, fromBinary } from '@bufbuild/protobuf';
import { pathToString } from '@bufbuild/protobuf/reflect';
import { createValidator, type Violation } from '@bufbuild/protovalidate';
import { type ServiceIdentity, serviceDefinition } from '@course/01-unary';
import { encodeStatus, STATUS_DETAILS_KEY } from '@course/18-rate-limiting';
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
export function badRequestStatus(violations: FieldViolation[]): grpc.StatusObject {
  const count = violations.length === 1 ? '1 field violation' : `${violations.length} field violations`;
  const details = `invalid request: ${count} (${[...new Set(violations.map((v) => v.field))].join(', ')})`;
  const metadata = new grpc.Metadata();
  metadata.set(
    STATUS_DETAILS_KEY,
    encodeStatus(grpc.status.INVALID_ARGUMENT, details, [{ type: BAD_REQUEST_TYPE, value: { fieldViolations: violations } }]),
  );
  return { code: grpc.status.INVALID_ARGUMENT, details, metadata };
}

/** A method's request check: its violations ([] when it passes); throws when a rule cannot be evaluated. */
export type RequestCheck = (request: unknown) => FieldViolation[];

/**
 * Builds, once, a check for each of the service's methods whose request type has rules, by method path.
 * A call then costs one look-up, one encode, one decode and the validator's compiled (cached) rules.
 */
export function requestChecks(service: ServiceIdentity): Map<string, RequestCheck> {
  const validator = createValidator({ registry: RULES });
  const withRules = new Map(checkRulesMatchContract().map((m) => [m.typeName, m]));
  const served = CONTRACT.getService(service.name);
  if (!served) throw new Error(`${service.name} is not in the contract's descriptor set`);
  const checks = new Map<string, RequestCheck>();
  for (const [name, definition] of Object.entries(serviceDefinition(service))) {
    const schema = withRules.get(served.methods.find((m) => m.name === name)?.input.typeName ?? '');
    if (!schema) continue;
    // Compiles the rules now: a rule that does not compile stops the server here, not a call later.
    const compiled = validator.validate(schema, create(schema));
    if (compiled.kind === 'error') throw compiled.error;
    checks.set(definition.path, (request) => {
      // proto-loader's objects are not protobuf-es messages (longs as strings, oneof
      // markers); the wire format is what both agree on, so the check reads the same bytes.
      const result = validator.validate(schema, fromBinary(schema, definition.requestSerialize(request)));
      if (result.kind === 'error') throw result.error;
      return result.kind === 'valid' ? [] : result.violations.map(fieldViolation);
    });
  }
  return checks;
}

export interface ValidationOptions {
  /** The service whose requests are checked (lesson 01's GREETER for the Greeter). */
  service: ServiceIdentity;
}

/** The server interceptor: each request message of a method with rules is checked before it is passed on. */
export function createValidation({ service }: ValidationOptions): grpc.ServerInterceptor {
  const checks = requestChecks(service);
  return (method, call) => {
    const check = checks.get(method.path);
    if (!check) return new grpc.ServerInterceptingCall(call);
    let refused = false;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage(message, nextMessage) {
            if (refused) return;
            let violations: FieldViolation[];
            try {
              violations = check(message);
            } catch {
              // A rule that cannot be evaluated is the server's fault, never the caller's.
              refused = true;
              return call.sendStatus({ code: grpc.status.INTERNAL, details: 'request validation failed' });
            }
            if (violations.length === 0) return nextMessage(message);
            refused = true;
            // On a stream too: the call ends here, what was delivered before stays delivered
            // (lesson 03's room drops a member for a bad message the same way).
            call.sendStatus(badRequestStatus(violations));
          },
          onReceiveHalfClose(next) {
            if (!refused) next();
          },
        }),
    });
  };
}
