// Reads a V8 CPU profile (what `node --cpu-prof` writes) and says where the time went:
// self time per package (grpc-js, OpenTelemetry, pino, the lessons, Node
// itself...) and the hottest functions, idle time left out.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Who a frame belongs to: an npm package, a lesson, Node's own code, or V8. */
export function ownerOf(url: string, name: string): string {
  if (url === '') return name === '(garbage collector)' ? 'GC' : name.startsWith('(') ? name : 'V8 / native';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg.startsWith('@opentelemetry/') ? `${pkg}` : pkg;
  const step = /\/(steps\/[^/]+|kit|scripts)\//.exec(url)?.[1];
  if (step) return step;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

/** Owners that are a layer of the chain (the rest is transport: grpc-js, Node, V8). */
const isLayer = (owner: string) => /^(steps\/|@opentelemetry\/|pino|thread-stream|prom-client|sonic-boom)/.test(owner);

export interface ProfileSummary {
  busyMs: number;
  /** Inclusive: each sample charged to the innermost layer frame on its stack, else to transport or GC. */
  layers: { layer: string; ms: number; share: number }[];
  owners: { owner: string; ms: number; share: number }[];
  functions: { name: string; owner: string; ms: number; share: number }[];
}

export function summarize(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node) break;
      const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
      if (isLayer(owner)) return owner.startsWith('@opentelemetry/') ? 'OpenTelemetry' : owner;
      if (owner === 'GC') return 'GC';
    }
    return 'transport (grpc-js, Node, TLS)';
  };
  const layers = new Map<string, number>();
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const owners = new Map<string, number>();
  const functions = new Map<string, { owner: string; us: number }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    // Idle, and the profiler's own stop (it serializes the profile), are not the server's work.
    if (functionName === '(idle)' || url === 'node:inspector') continue;
    const layer = layerOf(id);
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    busy += us;
    const owner = ownerOf(url, functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    const f = functions.get(key) ?? { owner, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  const ms = (us: number) => us / 1000;
  return {
    busyMs: ms(busy),
    layers: [...layers].sort((a, b) => b[1] - a[1]).map(([layer, us]) => ({ layer, ms: ms(us), share: us / busy })),
    owners: [...owners].sort((a, b) => b[1] - a[1]).map(([owner, us]) => ({ owner, ms: ms(us), share: us / busy })),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([name, f]) => ({ name, owner: f.owner, ms: ms(f.us), share: f.us / busy })),
  };
}
