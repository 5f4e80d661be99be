// The infrastructure files as their own tools read them: the compose file by
// docker-compose, the Prometheus config and rules by promtool (with the
// rules' unit tests), and the dashboard against the provisioned datasource.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { DASHBOARD_FILE } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const root = join(step, '..', '..');
const promtool = process.env.PROMTOOL ?? 'promtool';

function run(command: string, args: string[], cwd = step) {
  const { status, stdout, stderr } = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status, output: `${stdout}${stderr}` };
}

it('docker-compose reads the compose file (Prometheus and Grafana included) without a complaint', () => {
  expect(run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], root)).toEqual({ status: 0, output: '' });
  const services = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services'], root);
  expect(services.output.trim().split('\n').sort()).toEqual(expect.arrayContaining(['grafana', 'prometheus']));
});

it("promtool checks the compose Prometheus's config, with its rule file where the container mounts it", () => {
  expect(run(promtool, ['check', 'config', '--syntax-only', 'prometheus/prometheus.yml']).status).toBe(0);
  // The full check also reads the rule file: point it at ours instead of the container's path.
  const dir = mkdtempSync(join(tmpdir(), 'course-promtool-'));
  try {
    const config = readFileSync(join(step, 'prometheus/prometheus.yml'), 'utf8');
    expect(config).toContain('/etc/prometheus/rules.yml');
    writeFileSync(join(dir, 'prometheus.yml'), config.replace('/etc/prometheus/rules.yml', join(step, 'prometheus/rules.yml')));
    const checked = run(promtool, ['check', 'config', join(dir, 'prometheus.yml')]);
    expect(checked.status, checked.output).toBe(0);
    expect(checked.output).toContain('SUCCESS: 7 rules found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('promtool checks the rules and passes their unit tests', () => {
  const checked = run(promtool, ['check', 'rules', 'prometheus/rules.yml']);
  expect(checked, checked.output).toMatchObject({ status: 0 });
  const tested = run(promtool, ['test', 'rules', 'prometheus/rules.test.yml']);
  expect(tested.status, tested.output).toBe(0);
  expect(tested.output).toContain('SUCCESS');
});

it("every panel's queries go to the datasource Grafana is provisioned with", () => {
  const uid = /uid:\s*(\S+)/.exec(readFileSync(join(step, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'))?.[1];
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: { type: string; datasource?: { uid: string }; targets?: { datasource: { uid: string } }[] }[];
  };
  const used = dashboard.panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource.uid)]);
  expect(new Set(used)).toEqual(new Set([uid]));
});
