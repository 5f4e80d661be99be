// Which Node the course runs on: `pnpm step` checks it first, so a learner on
// an old Node gets one line saying what to install instead of a crash later.

/** The version numbers of "v22.15.0", "22.15" or ">=22.15", missing parts as 0. */
function parts(version: string): [number, number, number] {
  const match = /^(?:>=\s*)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!match) throw new Error(`not a version: ${version}`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/**
 * Why `version` (e.g. process.version) cannot run the course whose
 * engines.node is `range` (a lower bound like ">=22.15", the only form the
 * course uses), or undefined when it can.
 */
export function nodeVersionProblem(version: string, range: string): string | undefined {
  if (!range.trim().startsWith('>=')) throw new Error(`engines.node must be a lower bound like ">=22.15", not ${range}`);
  const [have, want] = [parts(version), parts(range)];
  if ((have[0] - want[0] || have[1] - want[1] || have[2] - want[2]) >= 0) return undefined;
  const lowest = range.trim().replace(/^>=\s*/, '');
  return `the course needs Node ${lowest} or newer (22 or 24 LTS); this is Node ${version.replace(/^v/, '')}. Install Node 24 LTS (https://nodejs.org/en/download, or \`nvm install 24\`), then run \`pnpm install\` and this again.`;
}
