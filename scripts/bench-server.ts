// One server for `pnpm bench`, in its own process: `bare` (grpc-js and
// SayHello over TLS, nothing else), `07` (lesson 07's whole chain) or `09`
// (lesson 09: plus metrics and tracing; start it with the tracing preload).
import { greeting, startGreeterServer as startBare } from '@course/01-unary';
import { serverCredentials } from '@course/06-tls';
import { startGreeterServer as start07 } from '@course/07-reflection-health';
import { startGreeterServer as start09 } from '@course/09-tracing';
import { loadCertificates } from '@course/kit/certs';

const [kind = 'bare', certDir] = process.argv.slice(2);
const certs = loadCertificates(certDir);
const common = { port: 0, certs, token: process.env.AUTH_TOKEN ?? 'bench-token', graceMs: 500 };
const server =
  kind === 'bare'
    ? await startBare({
        credentials: serverCredentials(certs),
        handlers: { SayHello: (call, cb) => cb(null, { message: greeting(call.request.name) }) },
      })
    : kind === '07'
      ? await start07(common)
      : await start09({ ...common, metricsAddress: { host: '127.0.0.1', port: 0 } });
process.stderr.write(`listening on ${server.address}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.stop());
