// The Greeter of the lessons before, behind lesson 18's limits: per caller and
// method, and on the calls the whole server has in flight. It is one of lesson
// 17's deployments (the canary by default, release 1.1: greeter.v1 and v2), so
// each deployment behind the proxy limits its own callers.
import { processRegistry } from '@course/08-prometheus-metrics';
// The previous step's Greeter, imported here and nowhere else.
import {
  type DeploymentOptions,
  type DeploymentHandle as PreviousHandle,
  startDeployment as startPreviousGreeter,
  type Track,
} from '@course/17-versions-canary';
import { createLimits, type LimitOptions, type Limits } from './limits.js';

export const DEFAULT_LIMITS = { points: 10, perSeconds: 1, maxInFlight: 100 } as const;

export interface LimitedGreeterOptions extends Omit<DeploymentOptions, 'track'> {
  /** Which of lesson 17's releases (default: canary, the one that serves greeter.v2 too). */
  track?: Track;
  limits?: Partial<Omit<LimitOptions, 'registry'>>;
}

export interface LimitedGreeterHandle extends PreviousHandle {
  limits: Limits;
}

export async function startGreeterServer({
  limits: settings,
  track = 'canary',
  ...options
}: LimitedGreeterOptions): Promise<LimitedGreeterHandle> {
  const registry = options.registry ?? processRegistry();
  const limits = createLimits({ ...DEFAULT_LIMITS, ...settings, registry });
  // After auth (lesson 05's afterAuth): it limits the caller auth vouched for, and logging
  // and metrics (lessons 04, 08, earlier in the chain) still see every refused call.
  const handle = await startPreviousGreeter({ ...options, track, registry, afterAuth: [...(options.afterAuth ?? []), limits.interceptor] });
  return { ...handle, limits };
}
