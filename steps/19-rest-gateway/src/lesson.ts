// Lesson 19 as the step runner drives it: the Greeter and its Logger, the
// gateway in front, and HTTP calls through it: each route, a stream, the
// errors a browser sees (400, 401, 429 with Retry-After), the OpenAPI document.
import { fileURLToPath } from 'node:url';
import { nameFlag } from '@course/01-unary';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
// The previous step's lesson, imported here and nowhere else.
import { lesson as previousLesson, withLimitedGreeter } from '@course/18-rate-limiting/lesson';
import { type Flags, type Lesson, parsePort, row, type ServeContext, type Serving } from '@course/kit';
import { showCall } from './client.js';
import { type GatewayHandle, type GatewayOptions, startGateway } from './gateway.js';

export const DEFAULT_HTTP_PORT = 8080;
const DEMO_LIMITS = { points: 3, perSeconds: 10, maxInFlight: 100 };

const routeList = (routes: { verb: string; template: string }[]) => routes.map((r) => `${r.verb} ${r.template}`).join(', ');

/** --http-port, else HTTP_PORT, else the default (a free one when --port is 0). */
export function httpPortFrom(flags: Flags, grpcPort: number): number {
  if (flags['http-port'] !== undefined) return parsePort(String(flags['http-port']), '--http-port');
  if (process.env.HTTP_PORT) return parsePort(process.env.HTTP_PORT, 'HTTP_PORT');
  return grpcPort === 0 ? 0 : DEFAULT_HTTP_PORT;
}

/**
 * `serve` with the gateway: the gRPC servers `serveGrpc` starts, then a gateway (`start`, lesson 19's
 * by default) in front of them on --http-port. A stop drains the gateway first: its calls in flight
 * still reach a Greeter that is up.
 */
export async function serveWithGateway(
  context: ServeContext,
  serveGrpc: (context: ServeContext) => Promise<Serving>,
  start: (options: GatewayOptions) => Promise<GatewayHandle> = startGateway,
  describe: (gateway: GatewayHandle) => void = (gateway) => {
    row('gateway', `listening on ${gateway.url}, TLS to the Greeter; the page at /, OpenAPI at /openapi.json`);
    row('routes', routeList(gateway.routes));
  },
): Promise<Serving> {
  const httpPort = httpPortFrom(context.flags, context.port);
  const grpcServing = await serveGrpc(context);
  try {
    const certs = await courseCertificates();
    const grpcPort = grpcServing.address.split(':').at(-1);
    const gateway = await start({ target: `localhost:${grpcPort}`, ca: certs.ca, host: context.host, port: httpPort });
    describe(gateway);
    return {
      address: grpcServing.address,
      async stop() {
        await gateway.stop();
        await grpcServing.stop();
      },
    };
  } catch (err) {
    await grpcServing.stop();
    throw err;
  }
}

export const lesson: Lesson = {
  ...previousLesson,
  step: '19',
  title: 'REST gateway',
  summary:
    'A Fastify gateway whose routes, proto3 JSON and OpenAPI document come from the google.api.http annotations, calling the Greeter over TLS with the caller’s token.',
  flags: {
    ...previousLesson.flags,
    demo: {},
    serve: {
      ...previousLesson.flags?.serve,
      'http-port': {
        type: 'string',
        placeholder: 'P',
        description: `port for the gateway (default HTTP_PORT, else ${DEFAULT_HTTP_PORT}; a free one when --port is 0)`,
      },
    },
    client: {
      gateway: {
        type: 'string',
        placeholder: 'URL',
        description: 'a running gateway to call (default: one started here, in front of --target)',
      },
      name: nameFlag,
      user: { type: 'string', placeholder: 'ID', description: 'send x-user-id: ID' },
    },
  },
  async demo() {
    await withLimitedGreeter(DEMO_LIMITS, async (g) => {
      const certs = await courseCertificates();
      const gateway = await startGateway({ target: `localhost:${g.port}`, ca: certs.ca });
      row('gateway', `listening on ${gateway.url}, TLS to the Greeter`);
      row('routes', routeList(gateway.routes));
      row('limits', `${DEMO_LIMITS.points} calls per caller and method per ${DEMO_LIMITS.perSeconds}s`);
      const token = tokenFromEnv();
      try {
        await showCall(gateway.url, { path: '/v1/greet/Ada', token });
        await showCall(gateway.url, { method: 'POST', path: '/v1/greet', body: { name: 'Bob' }, token });
        await showCall(gateway.url, { path: '/v1/greet/Cy/stream?count=3', token });
        await showCall(gateway.url, { method: 'POST', path: '/v1/greet', body: { name: '' }, token });
        await showCall(gateway.url, { method: 'POST', path: '/v1/greet', body: { nom: 'Eve' }, token });
        await showCall(gateway.url, { path: '/v1/greet/Ada', label: 'GET /v1/greet/Ada, no token' });
        await showCall(gateway.url, { path: '/v1/greet/Dee', token });
        const openApi = (await (await fetch(new URL('/openapi.json', gateway.url))).json()) as { openapi: string; paths: object };
        row('openapi', `/openapi.json: OpenAPI ${openApi.openapi}, paths ${Object.keys(openApi.paths).join(', ')}`);
      } finally {
        await gateway.stop();
      }
    });
  },
  serve: (context) => serveWithGateway(context, previousLesson.serve),
  // --target is the gRPC server, as in every lesson; the HTTP calls go to --gateway, or to a gateway in front of it.
  async client({ target, flags }) {
    let gateway: GatewayHandle | undefined;
    if (flags.gateway === undefined) {
      gateway = await startGateway({ target, ca: (await courseCertificates()).ca });
      row('gateway', `${gateway.url}, in front of ${target}`);
    }
    const base = gateway?.url ?? String(flags.gateway);
    const token = tokenFromEnv();
    const userId = flags.user === undefined ? undefined : String(flags.user);
    const name = encodeURIComponent(String(flags.name));
    try {
      await showCall(base, { path: `/v1/greet/${name}`, token, userId });
      await showCall(base, { method: 'POST', path: '/v1/greet', body: { name: String(flags.name) }, token, userId });
      await showCall(base, { path: `/v1/greet/${name}/stream?count=3`, token, userId });
    } finally {
      await gateway?.stop();
    }
  },
};

export const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
