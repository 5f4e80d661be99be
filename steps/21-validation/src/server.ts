// The Greeter of the lessons before, with lesson 21's validation: every request
// message is checked against its buf.validate rules before a handler runs.
import { GREETER } from '@course/01-unary';
// The previous step's Greeter (lesson 20's: lesson 18's limits, lesson 19's contract, and a plaintext
// probe port for the kubelet), imported here and nowhere else.
import { startGreeterServer as startPreviousGreeter } from '@course/20-shipping';
import { createValidation } from './validation.js';

export type ValidatingGreeterOptions = Parameters<typeof startPreviousGreeter>[0];
export type ValidatingGreeterHandle = Awaited<ReturnType<typeof startPreviousGreeter>>;

export function startGreeterServer(options: ValidatingGreeterOptions): Promise<ValidatingGreeterHandle> {
  // After auth (lesson 05's afterAuth): a caller without a token learns nothing about the rules,
  // and logging and metrics (earlier in the chain) count every refusal as InvalidArgument.
  const validation = createValidation({ service: GREETER });
  return startPreviousGreeter({ ...options, afterAuth: [validation, ...(options.afterAuth ?? [])] });
}
