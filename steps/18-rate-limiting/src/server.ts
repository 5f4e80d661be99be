// The Greeter of the lessons before, behind lesson 18's limits: per caller and
// method, and on the calls the whole server has in flight.
import { processRegistry } from '@course/08-prometheus-metrics';
// The previous step's Greeter, imported here and nowhere else.
import {
  type EventsGreeterHandle as PreviousHandle,
  type EventsGreeterOptions as PreviousOptions,
  startGreeterServer as startPreviousGreeter,
} from '@course/16-async-events';
import { createLimits, type LimitOptions, type Limits } from './limits.js';

export const DEFAULT_LIMITS = { points: 10, perSeconds: 1, maxInFlight: 100 } as const;

export interface LimitedGreeterOptions extends PreviousOptions {
  limits?: Partial<Omit<LimitOptions, 'registry'>>;
}

export interface LimitedGreeterHandle extends PreviousHandle {
  limits: Limits;
}

export async function startGreeterServer({ limits: settings, ...options }: LimitedGreeterOptions): Promise<LimitedGreeterHandle> {
  const registry = options.registry ?? processRegistry();
  const limits = createLimits({ ...DEFAULT_LIMITS, ...settings, registry });
  // After auth (lesson 05's afterAuth): it limits the caller auth vouched for, and logging
  // and metrics (lessons 04, 08, earlier in the chain) still see every refused call.
  const handle = await startPreviousGreeter({ ...options, registry, afterAuth: [...(options.afterAuth ?? []), limits.interceptor] });
  return { ...handle, limits };
}
