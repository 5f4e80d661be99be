// The Greeter of the lessons before, with lesson 21's validation: every request
// message is checked against its buf.validate rules before a handler runs.
import { GREETER } from '@course/01-unary';
// The previous step's Greeter, imported here and nowhere else.
import {
  type LimitedGreeterHandle as PreviousHandle,
  type LimitedGreeterOptions as PreviousOptions,
  startGreeterServer as startPreviousGreeter,
} from '@course/18-rate-limiting';
import { createValidation } from './validation.js';

export type ValidatingGreeterOptions = PreviousOptions;
export type ValidatingGreeterHandle = PreviousHandle;

export function startGreeterServer(options: ValidatingGreeterOptions): Promise<ValidatingGreeterHandle> {
  // After auth (lesson 05's afterAuth): a caller without a token learns nothing about the rules,
  // and logging and metrics (earlier in the chain) count every refusal as InvalidArgument.
  const validation = createValidation({ service: GREETER });
  return startPreviousGreeter({ ...options, afterAuth: [validation, ...(options.afterAuth ?? [])] });
}
