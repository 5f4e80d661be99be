// The Greeter this lesson watches: the previous step's, unchanged. This file
// is the one place that names that step, so moving the lesson onto another
// (lesson 14's breaker) is a change here only.
import type { LoggingGreeterOptions } from '@course/10-two-services';
import { startBackend } from '@course/12-load-balancing';
import { lesson } from '@course/12-load-balancing/lesson';

export { startLoggerServer } from '@course/11-metadata-propagation';
export const previousLesson = lesson;

/** The Greeter, answering as backend `b1`. */
export const startGreeterServer = (options: LoggingGreeterOptions) => startBackend({ id: 'b1', ...options });

/**
 * Whether the server exports lesson 14's breaker series (`grpc_breaker_state`,
 * `grpc_breaker_transitions_total`). The dashboard has their panels either
 * way; the checks expect data from them only when this is true.
 */
export const EXPORTS_BREAKER_SERIES = false;
