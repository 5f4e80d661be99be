// The provisioned Grafana dashboard read as data: every panel's PromQL with
// the template variables filled in, so the lesson and its tests can run the
// same queries Grafana would against a Prometheus.
import { readFileSync } from 'node:fs';
import type { PromSample } from '@course/kit';

export const DASHBOARD_FILE = new URL('../grafana/dashboards/grpc.json', import.meta.url);

interface GrafanaPanel {
  title: string;
  type: string;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
}

export interface PanelQuery {
  panel: string;
  refId: string;
  legend: string;
  /** Grafana's unit for the panel's values (reqps, percentunit, s, short). */
  unit: string;
  /** The expression as the dashboard has it, variables and all. */
  template: string;
  /** With the variables substituted: what Prometheus is asked. */
  expr: string;
}

/**
 * What Grafana would put for each variable. `$__rate_interval` is Grafana's
 * max(4 × scrape interval, scrape + step); `job` is the scrape job (the
 * dashboard's "All" is the regex `.+`).
 */
export interface Variables {
  job: string;
  __rate_interval: string;
}

/** `$name`, `${name}` and `[[name]]`, the three spellings Grafana accepts. */
export function substitute(template: string, variables: Variables): string {
  return template.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (_whole, a, b, c) => {
    const name = (a ?? b ?? c) as keyof Variables;
    if (!Object.hasOwn(variables, name)) throw new Error(`the dashboard uses $${name}, which has no value here`);
    return variables[name];
  });
}

export function panelQueries(variables: Variables, file: URL = DASHBOARD_FILE): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: GrafanaPanel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      panel: panel.title,
      refId: t.refId,
      legend: t.legendFormat ?? '',
      unit: panel.fieldConfig?.defaults?.unit ?? 'short',
      template: t.expr,
      expr: substitute(t.expr, variables),
    })),
  );
}

/** A series' legend as Grafana draws it: `{{label}}` filled from the series' labels. */
export function legendOf(legend: string, sample: PromSample): string {
  return legend.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => sample.metric[name] ?? '');
}
