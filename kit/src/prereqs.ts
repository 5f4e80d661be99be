// The programs the tests drive for real (a Prometheus, a Python gRPC client, h2load), where they
// come from, and a check that installs what is missing, or stops at once with one line that says how.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python3 has Debian's python3-grpcio; another python3 earlier on PATH (pyenv) may not. */
export function pythonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

export interface Tool {
  /** What a person would call it. */
  name: string;
  /** A command that exits 0 when the tool is there. */
  probe: string[];
  /** The Debian (and Ubuntu) package that brings it. */
  debian: string;
  /** Who needs it. */
  usedBy: string;
}

export const TOOLS: readonly Tool[] = [
  {
    name: 'promtool',
    probe: ['promtool', '--version'],
    debian: 'prometheus',
    usedBy: 'lessons 08 (lints /metrics) and 15 (checks the config and rules, runs their unit tests)',
  },
  {
    name: 'prometheus',
    probe: ['prometheus', '--version'],
    debian: 'prometheus',
    usedBy: "lessons 08 and 15 (scrapes the server, answers the dashboard's queries)",
  },
  {
    name: 'python3 grpcio',
    probe: [pythonPath(), '-c', 'import grpc'],
    debian: 'python3-grpcio',
    usedBy: 'the interop check (a client in another language)',
  },
  {
    name: 'python3 grpc_tools',
    probe: [pythonPath(), '-c', 'import grpc_tools.protoc'],
    debian: 'python3-grpc-tools',
    usedBy: 'the interop check (stubs compiled from proto/)',
  },
  { name: 'h2load', probe: ['h2load', '--version'], debian: 'nghttp2-client', usedBy: 'pnpm bench' },
  {
    name: 'docker-compose',
    probe: ['docker-compose', 'version'],
    debian: 'docker-compose',
    usedBy: 'lesson 15 (validates docker-compose.yml; no Docker daemon needed)',
  },
  {
    name: 'nats-server',
    probe: ['nats-server', '--version'],
    debian: 'nats-server',
    usedBy: 'lesson 16 (JetStream: outage and crash tests)',
  },
  { name: 'haproxy', probe: ['haproxy', '-v'], debian: 'haproxy', usedBy: 'lesson 17 (the proxy in front of stable and canary)' },
  { name: 'socat', probe: ['socat', '-V'], debian: 'socat', usedBy: "lesson 17's README (HAProxy's runtime API by hand)" },
  {
    name: 'chromium',
    probe: ['chromium', '--version'],
    debian: 'chromium',
    usedBy: "lesson 19 (the gateway's page in a headless browser, driven by playwright-core)",
  },
  {
    name: 'protoc',
    probe: ['protoc', '--version'],
    debian: 'protobuf-compiler',
    usedBy: "lesson 21 (pnpm gen and check:gen build its rules' descriptor set) and the interop check (google/rpc stubs for Python)",
  },
];

export function missingTools(tools: readonly Tool[] = TOOLS): Tool[] {
  return tools.filter((t) => {
    const [command = '', ...args] = t.probe;
    return spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 }).status !== 0;
  });
}

/** The packages that bring these tools, each once. */
export function packagesFor(tools: readonly Tool[]): string[] {
  return [...new Set(tools.map((t) => t.debian))];
}

/** How apt-get can be run here: directly as root, with passwordless sudo, or not at all. */
function aptRunner(): string[] | undefined {
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  if (process.getuid?.() === 0) return [];
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : undefined;
}

export class MissingToolsError extends Error {
  readonly code = 'EPREREQ';
}

/**
 * Makes sure every tool is there. Missing ones are installed with apt-get where that works (Debian or
 * Ubuntu, as root or with sudo) unless install is false; otherwise this throws a MissingToolsError
 * whose one-line message names the packages and the command that installs them.
 */
export function ensureTools({ install = true, log = (line: string) => process.stderr.write(`${line}\n`) } = {}): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  const packages = packagesFor(missing);
  const names = missing.map((t) => t.name).join(', ');
  const command = `sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  const apt = install ? aptRunner() : undefined;
  if (apt === undefined) {
    throw new MissingToolsError(`the tests need ${names}, which this machine lacks: install them with \`${command}\` (Debian or Ubuntu)`);
  }
  log(`prereqs    ${names} missing: installing ${packages.join(' ')} with apt-get (once; about a minute)`);
  const logFile = join(tmpdir(), 'grpc-course-apt.log');
  const run = (args: string[]) => {
    const [command = '', ...rest] = [...apt, 'apt-get', ...args];
    const result = spawnSync(command, rest, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    writeFileSync(logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`, { flag: 'a' });
    return result.status === 0;
  };
  if (!run(['update', '-qq']) || !run(['install', '-y', '-qq', '--no-install-recommends', ...packages])) {
    throw new MissingToolsError(`apt-get could not install ${packages.join(' ')} (its output is in ${logFile}): try \`${command}\``);
  }
  const still = missingTools(missing);
  if (still.length > 0)
    throw new MissingToolsError(`installed ${packages.join(' ')}, but ${still.map((t) => t.name).join(', ')} still fails`);
  log(`prereqs    installed ${packages.join(' ')}`);
}

// `node --import tsx kit/src/prereqs.ts [--check | --packages]`: install what is missing (default),
// only report it (--check), or print every package the tests use (--packages, for .ci/run).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [flag] = process.argv.slice(2);
  if (flag === '--packages') {
    process.stdout.write(`${packagesFor(TOOLS).join(' ')}\n`);
  } else {
    try {
      ensureTools({ install: flag !== '--check' });
    } catch (err) {
      if (!(err instanceof MissingToolsError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
    }
  }
}
