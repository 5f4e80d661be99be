// The course kit's public face. Lessons import from here (and certificate
// tooling from `@course/kit/certs`), never from the files behind it.
export * from './bind.js';
export * from './child.js';
export * from './errors.js';
export * from './exercise.js';
export * from './lesson.js';
export * from './otlp.js';
export * from './out.js';
export * from './process.js';
export * from './prometheus.js';
export * from './stall.js';
export * from './within.js';
