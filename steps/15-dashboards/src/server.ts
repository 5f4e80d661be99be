// The Greeter this lesson watches: the previous step's (lesson 14's, its Log
// call behind a breaker), unchanged. This file is the one place that names
// that step.
import { type BreakerGreeterOptions, startGreeterServer as startBreakerGreeter } from '@course/14-circuit-breaker';
import { lesson } from '@course/14-circuit-breaker/lesson';

export { startLoggerServer } from '@course/11-metadata-propagation';
export const previousLesson = lesson;

/** The Greeter, answering as backend `b1`. */
export const startGreeterServer = (options: BreakerGreeterOptions) => startBreakerGreeter(options);
