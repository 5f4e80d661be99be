// SayHello through a real server on port 0 and a real channel: success, every
// status the lesson teaches, deadlines and cancellation.

import { fileURLToPath } from 'node:url';
import { isServiceError, startLesson } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGreeterClient,
  DEFAULT_DEADLINE_MS,
  MAX_NAME_LENGTH,
  type ServerHandle,
  sayHello,
  startGreeterServer,
} from '../src/index.js';

/** The status a promise rejected with; fails the test if it resolved. */
async function statusOf(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  const err = await promise.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw err;
  return err;
}

describe('SayHello', () => {
  let server: ServerHandle;
  let client: ReturnType<typeof createGreeterClient>;
  beforeAll(async () => {
    server = await startGreeterServer({ port: 0 });
    client = createGreeterClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('listens on an IPv6 address, bracketed in its address', async () => {
    const v6 = await startGreeterServer({ host: '::1', port: 0 });
    const v6Client = createGreeterClient(v6.address);
    try {
      expect(v6.address).toBe(`[::1]:${v6.port}`);
      expect((await sayHello(v6Client, 'Ada')).message).toBe('Hello, Ada!');
    } finally {
      v6Client.close();
      await v6.stop();
    }
  });

  it('binds a real port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it('greets by name', async () => {
    const reply = await sayHello(client, 'Ada');
    expect(reply.message).toBe('Hello, Ada!');
  });

  it('accepts a name of exactly the maximum length', async () => {
    const name = 'x'.repeat(MAX_NAME_LENGTH);
    expect((await sayHello(client, name)).message).toBe(`Hello, ${name}!`);
  });

  it.each([
    ['empty', '', 'name is required'],
    ['blank', '   ', 'name is required'],
    ['over-long', 'x'.repeat(MAX_NAME_LENGTH + 1), `at most ${MAX_NAME_LENGTH} characters`],
  ])('rejects an %s name with INVALID_ARGUMENT', async (_, name, details) => {
    const err = await statusOf(sayHello(client, name));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(details);
  });

  it('answers the methods later lessons add with UNIMPLEMENTED', async () => {
    const stream = client.StreamGreetings({ name: 'Ada' });
    const err = await statusOf(new Promise((resolve, reject) => stream.on('error', reject).on('end', resolve).resume()));
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('ends with CANCELLED when the client cancels', async () => {
    const err = await statusOf(
      new Promise((resolve, reject) => {
        const call = client.SayHello({ name: 'Ada' }, (e, r) => (e ? reject(e) : resolve(r)));
        call.cancel();
      }),
    );
    expect(err.code).toBe(grpc.status.CANCELLED);
  });
});

describe('deadlines', () => {
  it('gives DEADLINE_EXCEEDED when the server is slower than the deadline, and the server sees the cancel', async () => {
    let serverSawCancel!: () => void;
    const cancelled = new Promise<void>((resolve) => {
      serverSawCancel = resolve;
    });
    // A handler that never answers: only the client's deadline can end the call.
    const server = await startGreeterServer({
      handlers: { SayHello: (call) => call.on('cancelled', serverSawCancel) },
    });
    const client = createGreeterClient(server.address);
    try {
      const started = Date.now();
      const err = await statusOf(sayHello(client, 'Ada', { deadline: new Date(Date.now() + 100) }));
      expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      await cancelled;
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('puts a deadline on every call by default', async () => {
    let deadline: grpc.Deadline | undefined;
    const server = await startGreeterServer({
      handlers: {
        SayHello: (call, callback) => {
          deadline = call.getDeadline();
          callback(null, { message: 'ok' });
        },
      },
    });
    const client = createGreeterClient(server.address);
    try {
      const sent = Date.now();
      await sayHello(client, 'Ada');
      // The server sees the deadline as a time (a number of ms here); Infinity would mean none.
      const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
      expect(at).toBeGreaterThan(sent);
      expect(at).toBeLessThanOrEqual(sent + DEFAULT_DEADLINE_MS + 50);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

/** A promise and the function that resolves it: a test waits on the event itself, never on a sleep. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('stop()', () => {
  it('lets an in-flight call finish, then refuses new connections', async () => {
    const held = signal();
    const started = signal();
    const server = await startGreeterServer({
      handlers: {
        SayHello: (call, callback) => {
          started.resolve();
          void held.promise.then(() => callback(null, { message: `late hello, ${call.request.name}` }));
        },
      },
    });
    const client = createGreeterClient(server.address);
    try {
      const inFlight = sayHello(client, 'Ada');
      await started.promise;
      const stopped = server.stop();
      held.resolve();
      expect((await inFlight).message).toBe('late hello, Ada');
      await stopped;
      const fresh = createGreeterClient(server.address);
      const err = await statusOf(sayHello(fresh, 'Bob', { deadline: new Date(Date.now() + 1_000) }));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      fresh.close();
    } finally {
      client.close();
    }
  });

  it('cancels a call still running after stopTimeoutMs, then resolves', async () => {
    const started = signal();
    const cancelled = signal();
    // A handler that never answers: only the server's stop can end the call.
    const server = await startGreeterServer({
      stopTimeoutMs: 200,
      handlers: {
        SayHello: (call) => {
          call.on('cancelled', () => cancelled.resolve());
          started.resolve();
        },
      },
    });
    const client = createGreeterClient(server.address);
    try {
      // The client's own deadline is far later: if stop() did not force the
      // call to end, it would end with DEADLINE_EXCEEDED instead.
      const inFlight = statusOf(sayHello(client, 'Ada', { deadline: new Date(Date.now() + 5_000) }));
      await started.promise;
      await server.stop();
      await cancelled.promise;
      expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain((await inFlight).code);
    } finally {
      client.close();
    }
  });
});

describe('a port in use', () => {
  const step = fileURLToPath(new URL('..', import.meta.url));

  it('stops `serve` with the course line only, nothing from grpc-js before it', async () => {
    const taken = await startGreeterServer({ port: 0 });
    try {
      const { code, stdout, stderr } = await startLesson(step, ['serve', '--port', String(taken.port)]).exited;
      expect({ code, stdout, stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: cannot listen on 127.0.0.1:${taken.port}: address already in use\n`,
      });
    } finally {
      await taken.stop();
    }
  });

  it('hides nothing else grpc-js logs', async () => {
    const taken = await startGreeterServer({ port: 0 });
    try {
      const { stderr } = await startLesson(step, ['serve', '--port', String(taken.port)], {
        env: { GRPC_TRACE: 'server', GRPC_VERBOSITY: 'DEBUG' },
      }).exited;
      expect(stderr).toMatch(/^D .*\| server \|/m);
      expect(stderr).not.toContain('No address added');
    } finally {
      await taken.stop();
    }
  });
});

it("refuses `client --target ''` with one line and the usage, exit 2, no stack", async () => {
  const { code, stderr } = await startLesson(fileURLToPath(new URL('..', import.meta.url)), ['client', '--target', '']).exited;
  expect(code).toBe(2);
  expect(stderr.split('\n')[0]).toBe("error: --target needs an address such as localhost:50051, got ''");
  expect(stderr).not.toMatch(/^\s+at /m);
});
