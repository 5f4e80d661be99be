// Lesson 07's server, counted: a metrics interceptor ahead of everything but
// logging, and /metrics served on its own HTTP port.
import { GREETER, serviceDefinition } from '@course/01-unary';
import { type HealthServerHandle, type HealthServerOptions, startGreeterServer as startHealthServer } from '@course/07-reflection-health';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type MetricsAddress, metricsAddressFromEnv, startMetricsExporter } from './exporter.js';
import { GrpcMetrics, serverMetricsInterceptor } from './metrics.js';

export interface MetricsServerOptions extends HealthServerOptions {
  /** Default: a new registry with Node's process metrics. */
  registry?: Registry;
  /** Default: METRICS_HOST / METRICS_PORT. */
  metricsAddress?: MetricsAddress;
}

export interface MetricsServerHandle extends HealthServerHandle {
  registry: Registry;
  metricsUrl: string;
}

/**
 * prom-client's gauges that promtool's lint rejects (a gauge must not end in
 * _total). Each repeats the sum of a gauge it also exports without the
 * suffix, e.g. nodejs_active_handles{type=...}, so nothing is lost.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processMetrics: Registry | undefined;

/**
 * A new registry with Node's process metrics (CPU, memory, event loop lag,
 * GC). They are collected once per process and shared by every registry made
 * here: prom-client's collectors (an event-loop delay monitor, a GC observer)
 * cannot be stopped, so a set per server would pile up.
 */
export function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    for (const name of LINT_FAILING_DEFAULTS) processMetrics.removeSingleMetric(name);
  }
  const registry = new Registry();
  for (const { name } of processMetrics.getMetricsAsArray()) {
    const metric = processMetrics.getSingleMetric(name);
    if (metric) registry.registerMetric(metric);
  }
  return registry;
}

export async function startGreeterServer(options: MetricsServerOptions = {}): Promise<MetricsServerHandle> {
  const registry = options.registry ?? processRegistry();
  const metrics = new GrpcMetrics(registry, 'server');
  metrics.initialize(serviceDefinition(options.service ?? GREETER));
  // The exporter starts first and stops last: a final scrape can still see the drain.
  const exporter = await startMetricsExporter(registry, options.metricsAddress ?? metricsAddressFromEnv());
  let handle: HealthServerHandle;
  try {
    handle = await startHealthServer({
      ...options,
      serverOptions: {
        ...options.serverOptions,
        // First of what this lesson adds, so refused calls (auth) are counted too.
        interceptors: [serverMetricsInterceptor(metrics), ...(options.serverOptions?.interceptors ?? [])],
      },
    });
  } catch (err) {
    await exporter.stop();
    throw err;
  }
  return {
    ...handle,
    registry,
    metricsUrl: exporter.url,
    async stop() {
      await handle.stop();
      await exporter.stop();
    },
  };
}
