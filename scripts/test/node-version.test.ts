// The Node version check `pnpm step` runs first, with the version strings
// process.version gives, against the range the root package.json declares.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../node-version.js';

const engines = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node as string;

describe('the Node version check', () => {
  it.each(['v20.20.2', 'v22.14.0', 'v18.20.8', 'v22.9.0'])('refuses %s in one line naming the version needed and how to get it', (v) => {
    const problem = nodeVersionProblem(v, '>=22.15');
    expect(problem).toMatch(/^the course needs Node 22\.15 or newer \(22 or 24 LTS\); this is Node [\d.]+\. Install Node 24 LTS/);
    expect(problem).toContain(`this is Node ${v.slice(1)}.`);
    expect(problem).not.toContain('\n');
  });

  it.each(['v22.15.0', 'v22.23.5', 'v24.0.0', 'v24.22.3', 'v26.12.1', 'v100.0.0'])('accepts %s', (v) => {
    expect(nodeVersionProblem(v, '>=22.15')).toBeUndefined();
  });

  it('compares every part: patch versions and a range with a patch', () => {
    expect(nodeVersionProblem('v22.15.0', '>=22.15.1')).toMatch(/needs Node 22\.15\.1 or newer/);
    expect(nodeVersionProblem('v22.15.1', '>=22.15.1')).toBeUndefined();
  });

  it('reads the range the course declares: a lower bound that refuses Node 20 and accepts this Node', () => {
    expect(engines).toMatch(/^>=22\.\d+$/);
    expect(nodeVersionProblem('v20.19.0', engines)).toBeDefined();
    expect(nodeVersionProblem(process.version, engines)).toBeUndefined();
  });

  it('refuses a range it cannot check rather than guessing', () => {
    expect(() => nodeVersionProblem('v24.0.0', '^22.15 || >=24')).toThrow(/lower bound/);
  });
});
