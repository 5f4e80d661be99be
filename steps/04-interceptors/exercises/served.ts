// What the logging exercises share: a server whose log lines a check reads as they are written.
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger, type LoggedServerHandle, type LoggedServerOptions, startGreeterServer } from '../src/index.js';

export type LogLine = Record<string, unknown>;

export interface LoggedServer {
  server: LoggedServerHandle;
  /** Resolves with the next `served` line that has not been handed out yet. */
  nextServed(): Promise<LogLine>;
}

export async function loggedServer(options: LoggedServerOptions = {}): Promise<LoggedServer> {
  const served: LogLine[] = [];
  const written = new EventEmitter();
  const destination = new Writable({
    write(chunk, _, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        if (line.msg === 'served') served.push(line);
      }
      written.emit('line');
      done();
    },
  });
  const server = await startGreeterServer({ ...options, logger: createLogger({ level: 'info', pretty: false, destination }) });
  let taken = 0;
  return {
    server,
    async nextServed() {
      while (served.length <= taken) await once(written, 'line');
      return served[taken++] as LogLine;
    },
  };
}
