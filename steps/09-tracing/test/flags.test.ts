// `client` takes what `serve` offers: a server run with --mtls can be called with --mtls.
import { parseInvocation } from '@course/kit';
import { expect, it } from 'vitest';
import { lesson } from '../src/lesson.js';

it('client takes --mtls, as serve does', () => {
  expect(parseInvocation(lesson, ['serve', '--mtls']).values.mtls).toBe(true);
  expect(parseInvocation(lesson, ['client', '--mtls', '--health']).values).toMatchObject({ mtls: true, health: true });
});
