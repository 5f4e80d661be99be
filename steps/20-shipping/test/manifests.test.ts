// What cannot run here checked statically: the Kubernetes manifests against
// the Kubernetes schemas (kubernetes-models) and against the server they run,
// the Dockerfile against the bundle the step builds, the release workflow by
// an action linter.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { DEFAULT_DRAIN_DELAY_MS, DEFAULT_GRACE_MS } from '@course/07-reflection-health';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, type IContainer, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BUNDLE_ENTRY, LIVENESS_PATH, LIVENESS_SERVICE, READINESS_PATH, STEP_DIR } from '../src/index.js';
import { lesson } from '../src/lesson.js';

const ROOT = join(STEP_DIR, '../..');
const MODELS = { Deployment, Service, ConfigMap, Secret, PodDisruptionBudget, HorizontalPodAutoscaler } as const;
type Kind = keyof typeof MODELS;

// biome-ignore lint/suspicious/noExplicitAny: manifests are plain parsed YAML; the schema test gives them shape.
type Manifest = { apiVersion: string; kind: Kind; metadata: { name: string; namespace?: string }; [key: string]: any };

const manifests: Manifest[] = readdirSync(join(STEP_DIR, 'k8s'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(STEP_DIR, 'k8s', f), 'utf8')).map((d) => d.toJS() as Manifest));
const of = (kind: Kind) => manifests.filter((m) => m.kind === kind);
const deployments = of('Deployment');
const configMap = of('ConfigMap')[0] as Manifest;
const secret = of('Secret')[0] as Manifest;

/** Validates against the schema of its apiVersion and kind; throws with the paths that fail. */
function validate(m: Manifest): void {
  const Model = MODELS[m.kind];
  if (!Model || Model.apiVersion !== m.apiVersion) throw new Error(`no model for ${m.apiVersion} ${m.kind}`);
  new (Model as new (data: unknown) => { validate(): void })(m).validate();
}

/** The value after a flag in a container's args. */
function arg(container: IContainer, flag: string): string | undefined {
  const args = container.args ?? [];
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** A case for some Deployments only: defined for those, absent (not reported as skipped) for the rest. */
const applies = (yes: boolean): ((name: string, check: () => void) => void) => (yes ? it : () => {});

describe('the Kubernetes manifests', () => {
  it('are the kinds the lesson needs, each valid against the Kubernetes schema', () => {
    expect(new Set(manifests.map((m) => m.kind))).toEqual(new Set(Object.keys(MODELS)));
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['gateway', 'greeter', 'logger']);
    for (const m of manifests) expect(() => validate(m), `${m.kind} ${m.metadata.name}`).not.toThrow();
    expect(new Set(manifests.map((m) => m.metadata.namespace))).toEqual(new Set(['grpc-course']));
  });

  it('the schema check can fail: a gRPC probe on a named port, an HTTP probe with no port, a missing selector', () => {
    const greeter = structuredClone(deployments.find((d) => d.metadata.name === 'greeter') as Manifest);
    greeter.spec.template.spec.containers[0].readinessProbe.grpc.port = 'probe';
    expect(() => validate(greeter)).toThrow(/port/);
    const gateway = structuredClone(deployments.find((d) => d.metadata.name === 'gateway') as Manifest);
    delete gateway.spec.template.spec.containers[0].readinessProbe.httpGet.port;
    expect(() => validate(gateway)).toThrow(/port/);
    const noSelector = structuredClone(deployments[0] as Manifest);
    delete noSelector.spec.selector;
    expect(() => validate(noSelector)).toThrow(/selector/);
  });

  for (const d of deployments) {
    describe(`Deployment ${d.metadata.name}`, () => {
      const pod = d.spec.template.spec;
      const container = pod.containers[0] as IContainer;
      // The Greeter and Logger are gRPC servers with a plaintext probe port; the gateway is HTTP, probed on the port it serves.
      const isGateway = d.metadata.name === 'gateway';
      const probePort = Number(arg(container, '--probe-port'));
      const grpcPort = Number(arg(container, '--port'));
      const declared = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));

      it("runs one of the step's server modes, on all interfaces, in the ports it declares", () => {
        const mode = container.args?.[0] as string;
        expect(Object.keys(lesson.servers ?? {})).toContain(mode);
        expect(mode).toBe(d.metadata.name);
        expect(arg(container, '--host')).toBe('0.0.0.0');
        if (isGateway) {
          expect(declared).toEqual({ http: grpcPort });
          expect(arg(container, '--probe-port')).toBeUndefined();
          return;
        }
        expect(declared.grpc).toBe(grpcPort);
        expect(declared.probe).toBe(probePort);
      });

      applies(isGateway)(
        'probes over HTTP on the port it serves, readiness on the path that asks the Greeter, the others on liveness',
        () => {
          for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
            expect(probe?.grpc).toBeUndefined();
            expect(declared[String(probe?.httpGet?.port)]).toBe(grpcPort);
          }
          expect(container.readinessProbe?.httpGet?.path).toBe(READINESS_PATH);
          expect(container.livenessProbe?.httpGet?.path).toBe(LIVENESS_PATH);
          expect(container.startupProbe?.httpGet?.path).toBe(LIVENESS_PATH);
        },
      );

      applies(!isGateway)('probes readiness and liveness with gRPC on the port the probe listener binds, with the names it serves', () => {
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          expect(probe?.grpc?.port).toBe(probePort);
          expect(probe?.grpc?.port).not.toBe(grpcPort); // the TLS port: the kubelet cannot speak TLS to it
        }
        expect(container.readinessProbe?.grpc?.service).toBe('');
        expect(container.livenessProbe?.grpc?.service).toBe(LIVENESS_SERVICE);
      });

      it('gives the drain time to finish: grace period > preStop sleep + drain delay + shutdown grace', () => {
        const command = container.lifecycle?.preStop?.exec?.command ?? [];
        expect(command[0]).toBe('sleep');
        const sleep = Number(command[1]);
        expect(sleep).toBeGreaterThan(0);
        const drainMs = Number(configMap.data.DRAIN_DELAY_MS ?? DEFAULT_DRAIN_DELAY_MS);
        const graceMs = Number(configMap.data.SHUTDOWN_GRACE_MS ?? DEFAULT_GRACE_MS);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleep + (drainMs + graceMs) / 1000);
      });

      applies(isGateway)('reads no token (it forwards each caller’s), its settings from the ConfigMap', () => {
        expect((container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef)).toEqual([]);
        expect(container.envFrom?.[0]?.configMapRef?.name).toBe(configMap.metadata.name);
      });

      applies(!isGateway)('reads its tokens from the Secret, under the names the server reads', () => {
        const fromSecret = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
        expect(fromSecret.length).toBeGreaterThan(0);
        for (const e of fromSecret) {
          expect(e.valueFrom?.secretKeyRef?.name).toBe(secret.metadata.name);
          expect(e.valueFrom?.secretKeyRef?.key).toBe(e.name);
          expect(Object.keys(secret.stringData)).toContain(e.name);
        }
        const names = fromSecret.map((e) => e.name);
        expect(names).toContain('LOGGER_TOKEN');
        if (d.metadata.name === 'greeter') expect(names).toContain('AUTH_TOKEN');
        expect(container.envFrom?.[0]?.configMapRef?.name).toBe(configMap.metadata.name);
        // No token value in the repository: empty, which production refuses as the default.
        for (const value of Object.values(secret.stringData)) expect(value).toBe('');
      });

      it('runs as the image user, not root, read-only, with requests and a memory limit', () => {
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBe(1000);
        expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
        expect(container.volumeMounts?.map((v) => v.mountPath)).toContain('/tmp');
        expect(container.resources?.requests?.cpu).toBeDefined();
        expect(container.resources?.limits?.memory).toBeDefined();
      });

      it(`has a ${isGateway ? 'ClusterIP' : 'headless'} Service on its port and a PodDisruptionBudget, both selecting its pods`, () => {
        const labels = d.spec.template.metadata.labels;
        const service = of('Service').find((s) => s.metadata.name === d.metadata.name) as Manifest;
        expect(service.spec.selector).toEqual(d.spec.selector.matchLabels);
        if (isGateway) {
          // A virtual IP for an Ingress or a load balancer to point at: HTTP on 80, to the container's http port.
          expect(service.spec.type).toBe('ClusterIP');
          expect(service.spec.clusterIP).toBeUndefined();
          expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
        } else {
          expect(service.spec.clusterIP).toBe('None');
          expect(service.spec.ports[0].port).toBe(grpcPort);
          expect(service.spec.ports[0].targetPort).toBe('grpc');
        }
        const pdb = of('PodDisruptionBudget').find((p) => p.metadata.name === d.metadata.name) as Manifest;
        expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
        for (const [key, value] of Object.entries(d.spec.selector.matchLabels)) expect(labels[key]).toBe(value);
      });
    });
  }

  it('scales the Greeter with an HPA that keeps at least its replicas, above what the PDB may take', () => {
    const hpa = of('HorizontalPodAutoscaler')[0] as Manifest;
    const greeter = deployments.find((d) => d.metadata.name === 'greeter') as Manifest;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'greeter' });
    expect(hpa.spec.minReplicas).toBe(greeter.spec.replicas);
    const pdb = of('PodDisruptionBudget').find((p) => p.metadata.name === 'greeter') as Manifest;
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.maxUnavailable);
  });

  it('points the Greeter at the Logger Service, and the gateway at the Greeter Service, by name and port', () => {
    const port = (name: string) => (of('Service').find((s) => s.metadata.name === name) as Manifest).spec.ports[0].port;
    expect(configMap.data.LOGGER_TARGET).toBe(`logger.grpc-course.svc.cluster.local:${port('logger')}`);
    expect(configMap.data.GREETER_TARGET).toBe(`greeter.grpc-course.svc.cluster.local:${port('greeter')}`);
    // The names the modes read: a rename in one place and not the other fails here.
    expect(lesson.servers?.gateway?.flags?.['greeter-target']?.description).toMatch(/GREETER_TARGET/);
    expect(lesson.servers?.greeter?.flags?.['logger-target']?.description).toMatch(/LOGGER_TARGET/);
  });
});

/** The Dockerfile's instructions, stage by stage: [instruction, rest] with continuation lines joined. */
function dockerfileStages(text: string): { from: string; name: string; lines: [string, string][] }[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const stages: { from: string; name: string; lines: [string, string][] }[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, instruction = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (instruction === 'FROM') {
      const [, image = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ from: image, name, lines: [] });
    } else stages.at(-1)?.lines.push([instruction, rest]);
  }
  return stages;
}

describe('the Dockerfile', () => {
  const stages = dockerfileStages(readFileSync(join(STEP_DIR, 'Dockerfile'), 'utf8'));
  const [build, runtime] = stages;
  const all = (stage: (typeof stages)[number] | undefined, instruction: string) =>
    (stage?.lines ?? []).filter(([i]) => i === instruction).map(([, rest]) => rest);

  it('has a build stage and a runtime stage, both on slim Node 24', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of stages) expect(s.from).toMatch(/^node:24(\.\d+)*-[a-z]*-?slim$/);
  });

  it('builds the bundle with the script the step runs, and the runtime stage gets only the bundle', () => {
    expect(all(build, 'RUN')).toContain('sh steps/20-shipping/bundle.sh /bundle');
    expect(all(runtime, 'COPY')).toEqual(['--from=build /bundle ./']);
    expect(all(runtime, 'RUN')).toEqual([]);
    expect(all(runtime, 'WORKDIR')).toEqual(['/app']);
  });

  it('runs as a user that is not root, with NODE_ENV=production', () => {
    const users = all(runtime, 'USER');
    expect(users.length).toBe(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(all(runtime, 'ENV').join(' ')).toMatch(/(^|\s)NODE_ENV=production(\s|$)/);
  });

  it('starts the bundle with the arguments the step starts it with, the Greeter by default', () => {
    const [entrypoint = ''] = all(runtime, 'ENTRYPOINT');
    expect(JSON.parse(entrypoint)).toEqual(['node', ...BUNDLE_ENTRY]);
    const [cmd = ''] = all(runtime, 'CMD');
    expect(JSON.parse(cmd)).toEqual(['greeter', '--host', '0.0.0.0']);
  });

  it('has a .dockerignore that keeps installs, git and keys out of the context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '.git', 'certs/*', '**/*.key']) expect(ignored).toContain(pattern);
  });
});

describe('the release workflow', () => {
  const text = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');

  it('is a valid GitHub Actions workflow (action-validator)', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
    // And the linter does reject one that is not.
    expect(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest')).errors.length).toBeGreaterThan(0);
  });

  it('runs on a tag, tests before the image, and builds this Dockerfile from the root', () => {
    const workflow = parseAllDocuments(text)[0]?.toJS();
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.jobs.image.needs).toBe('test');
    expect(workflow.jobs.test.steps.map((s: { run?: string }) => s.run)).toContain('pnpm test');
    const build = workflow.jobs.image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/build-push-action'));
    expect(build.with).toMatchObject({ context: '.', file: 'steps/20-shipping/Dockerfile', push: true });
  });
});
