// Lesson 02's server plus Chat, with one room per server.
import type { ServerHandle } from '@course/01-unary';
import { type StreamServerOptions, startGreeterServer as startStreamingServer } from '@course/02-server-streaming';
import { ChatRoom, type RoomOptions } from './room.js';

export interface ChatServerOptions extends StreamServerOptions {
  room?: RoomOptions;
}

export interface ChatServerHandle extends ServerHandle {
  room: ChatRoom;
}

export async function startGreeterServer(options: ChatServerOptions = {}): Promise<ChatServerHandle> {
  const room = new ChatRoom(options.room);
  const handle = await startStreamingServer({ ...options, handlers: { Chat: room.handler, ...options.handlers } });
  return {
    ...handle,
    room,
    // Chat calls last as long as their members stay: end them, or a graceful
    // stop would wait for every member to leave on their own.
    stop() {
      room.close();
      return handle.stop();
    },
  };
}
