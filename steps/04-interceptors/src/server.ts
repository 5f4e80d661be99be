// Lesson 03's server with a logging interceptor in front of every call and
// recovery around every handler.
import { type ChatServerHandle, type ChatServerOptions, startGreeterServer as startChatServer } from '@course/03-bidi-streaming';
import { serverLoggingInterceptor } from './interceptors.js';
import { createLogger, type Logger } from './logger.js';
import { recoverHandlers } from './recovery.js';

export interface LoggedServerOptions extends ChatServerOptions {
  logger?: Logger;
}

export interface LoggedServerHandle extends ChatServerHandle {
  logger: Logger;
}

export async function startGreeterServer(options: LoggedServerOptions = {}): Promise<LoggedServerHandle> {
  const logger = options.logger ?? createLogger();
  const handle = await startChatServer({
    ...options,
    serverOptions: {
      ...options.serverOptions,
      // First in the list is nearest the network: logging sees every call,
      // including ones that interceptors after it refuse.
      interceptors: [serverLoggingInterceptor(logger), ...(options.serverOptions?.interceptors ?? [])],
    },
    wrapHandlers: (handlers, service) =>
      recoverHandlers(service, options.wrapHandlers ? options.wrapHandlers(handlers, service) : handlers, logger),
  });
  return {
    ...handle,
    logger,
    // JSON lines go out through pino's worker thread: wait until it has
    // written the last call's line, so none comes after the server says it
    // has stopped, or is lost when the process ends.
    async stop() {
      await handle.stop();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
  };
}
