// The Greeter this lesson watches: the previous step's (lesson 14's, its Log
// call behind a breaker), unchanged. This file is the one place that names
// that step.
import { lesson } from '@course/14-circuit-breaker/lesson';

export { startLoggerServer } from '@course/11-metadata-propagation';
export { startGreeterServer } from '@course/14-circuit-breaker';
export const previousLesson = lesson;
