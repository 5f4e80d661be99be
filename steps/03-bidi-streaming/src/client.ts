// A chat member: writes and reads on one call, independently, until it leaves.
import { once } from 'node:events';
import { isServiceError } from '@course/kit';
import type { ChatMessage, ChatMessage__Output } from '@course/proto/gen/greeter/v1/ChatMessage';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

export interface Member {
  /** Sends one line to the room; resolves when it is handed to the transport. */
  say(text: string): Promise<void>;
  /** Closes our side and waits for the server to end the call. */
  leave(): Promise<grpc.StatusObject>;
  /** Resolves with the status the call ended with, whoever ended it. */
  ended: Promise<grpc.StatusObject>;
  call: grpc.ClientDuplexStream<ChatMessage, ChatMessage__Output>;
}

/** Joins the room as `name`; every message the room relays goes to onMessage. */
export function joinChat(client: GreeterClient, name: string, onMessage: (message: ChatMessage__Output) => void): Member {
  // No deadline: a chat lasts as long as the person stays. Leaving or
  // Ctrl-C ends it, and the server ends it when it stops.
  const call = client.Chat();
  call.on('data', onMessage);
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    call.on('status', resolve);
    // The status also comes as 'error' when it is not OK; 'status' carries it.
    call.on('error', (err) => {
      if (!isServiceError(err)) throw err;
    });
  });
  return {
    call,
    ended,
    async say(text) {
      if (!call.write({ from: name, text })) await once(call, 'drain');
    },
    leave() {
      call.end();
      return ended;
    },
  };
}

/** "OK" or "RESOURCE_EXHAUSTED: too slow…": how a member's call ended. */
export function describeEnd({ code, details }: grpc.StatusObject): string {
  return code === grpc.status.OK ? 'OK' : `${grpc.status[code]}: ${details}`;
}
