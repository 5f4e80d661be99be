// HTTP calls against a running gateway, each shown as one row: the route, the
// HTTP status, and the proto3 JSON that came back (a stream line by line).
import { row } from '@course/kit';

export interface HttpCall {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  token?: string;
  userId?: string;
  /** Shown instead of method and path. */
  label?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON, or for a stream each line's. */
  json: unknown[];
}

/** One call through the gateway; a stream's lines are read as they arrive and `onLine` sees each. */
export async function callGateway(base: string, call: HttpCall, onLine?: (line: unknown) => void): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.userId) headers['x-user-id'] = call.userId;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(call.path, base), {
    method: call.method ?? 'GET',
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const json: unknown[] = [];
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? []) {
    buffered += decoder.decode(chunk, { stream: true });
    if (!response.headers.get('content-type')?.startsWith('application/x-ndjson')) continue;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      json.push(JSON.parse(line));
      onLine?.(json.at(-1));
    }
  }
  if (buffered.trim()) json.push(JSON.parse(buffered));
  return { status: response.status, headers: response.headers, json };
}

const isStream = (answer: HttpAnswer) => answer.headers.get('content-type')?.startsWith('application/x-ndjson') ?? false;

/** An error body as one line: "400 INVALID_ARGUMENT: name is required". */
export function describeAnswer(answer: HttpAnswer): string {
  const [first] = answer.json as { error?: { status: string; message: string; details?: { '@type': string }[] } }[];
  if (first?.error) {
    const { status, message, details = [] } = first.error;
    const retryAfter = answer.headers.get('retry-after');
    const extra = [...details.map((d) => d['@type'].split('.').at(-1)), ...(retryAfter ? [`Retry-After: ${retryAfter}`] : [])];
    return `${answer.status} ${status}: ${message}${extra.length ? `; ${extra.join(', ')}` : ''}`;
  }
  if (isStream(answer)) return `${answer.status} application/x-ndjson, ${answer.json.length} lines:`;
  return `${answer.status} ${JSON.stringify(first)}`;
}

/** Makes the call and prints its row. */
export async function showCall(base: string, call: HttpCall): Promise<HttpAnswer> {
  const answer = await callGateway(base, call);
  const sent = call.label ?? `${call.method ?? 'GET'} ${call.path}${call.body === undefined ? '' : ` ${JSON.stringify(call.body)}`}`;
  row('http', `${sent.padEnd(34)} → ${describeAnswer(answer)}`);
  if (isStream(answer)) for (const line of answer.json) row('', `${''.padEnd(34)}   ${JSON.stringify(line)}`);
  return answer;
}
