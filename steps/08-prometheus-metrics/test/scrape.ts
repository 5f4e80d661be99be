// Test helpers: read an exposition the way Prometheus does, one sample per line.
export type Samples = Map<string, number>;

/** `name{labels} value` lines, keyed by `name{labels}` exactly as exposed. */
export function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** The sample for a family and labels (in any order); undefined when the series does not exist. */
export function sample(samples: Samples, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const [key, value] of samples) {
    if (!key.startsWith(`${name}{`)) continue;
    const have = key.slice(name.length + 1, -1).split(',');
    if (have.length === want.length && want.every((w) => have.includes(w))) return value;
  }
  return undefined;
}
