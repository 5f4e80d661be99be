// Chat as a room: each message fans out to every member, and a member that
// cannot keep up is dropped instead of stalling the others.
import { statusError } from '@course/01-unary';
import type { ChatMessage, ChatMessage__Output } from '@course/proto/gen/greeter/v1/ChatMessage';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

type ChatCall = grpc.ServerDuplexStream<ChatMessage__Output, ChatMessage>;

export const MAX_FROM_LENGTH = 32;
export const MAX_TEXT_LENGTH = 1024;
/**
 * Messages that may wait for one member before it is dropped. Each member's
 * queue is its own stream's buffer, so one slow reader costs at most this
 * many messages of memory and never delays anyone else.
 */
export const DEFAULT_MAX_QUEUE = 64;

/** What the room did, for the demo's narration and the tests. */
export type RoomEvent =
  | { type: 'joined'; members: number }
  | { type: 'left'; from: string | undefined; members: number }
  | { type: 'dropped'; from: string | undefined; queued: number; code: grpc.status };

export interface RoomOptions {
  maxQueue?: number;
  onEvent?(event: RoomEvent): void;
}

/** Returns why a message is refused, or undefined if it is fine. */
export function checkMessage({ from, text }: ChatMessage__Output): string | undefined {
  if (from.trim() === '' || from.length > MAX_FROM_LENGTH) return `from must be 1 to ${MAX_FROM_LENGTH} characters`;
  if (text.trim() === '' || text.length > MAX_TEXT_LENGTH) return `text must be 1 to ${MAX_TEXT_LENGTH} characters`;
  return undefined;
}

interface Member {
  call: ChatCall;
  /** The name it last wrote under, for the room's events. */
  from?: string;
}

export class ChatRoom {
  private readonly members = new Set<Member>();
  private readonly maxQueue: number;
  private readonly onEvent: RoomOptions['onEvent'];

  constructor({ maxQueue = DEFAULT_MAX_QUEUE, onEvent }: RoomOptions = {}) {
    this.maxQueue = maxQueue;
    this.onEvent = onEvent;
  }

  get size(): number {
    return this.members.size;
  }

  readonly handler: GreeterHandlers['Chat'] = (call) => {
    const member: Member = { call };
    this.members.add(member);
    this.onEvent?.({ type: 'joined', members: this.members.size });
    call.on('data', (message: ChatMessage__Output) => {
      if (!this.members.has(member)) return;
      const problem = checkMessage(message);
      if (problem) return this.drop(member, grpc.status.INVALID_ARGUMENT, problem);
      member.from = message.from;
      this.broadcast({ from: message.from, text: message.text });
    });
    // The client closed its side (or cancelled, which ends its side too): it
    // has left, so close ours with OK; on a cancelled call that is a no-op.
    call.on('end', () => {
      if (this.leave(member)) call.end();
    });
    call.on('cancelled', () => this.leave(member));
  };

  /** Sends a message to every member; drops any member whose queue is full. */
  broadcast(message: ChatMessage): void {
    for (const member of this.members) {
      if (member.call.writableLength >= this.maxQueue) {
        this.drop(member, grpc.status.RESOURCE_EXHAUSTED, `too slow: ${member.call.writableLength} messages waiting, the room moved on`);
        continue;
      }
      member.call.write(message);
    }
  }

  /** Ends every member's call: the server is going away. */
  close(): void {
    for (const member of this.members) this.drop(member, grpc.status.UNAVAILABLE, 'the room is closing: the server is stopping');
  }

  private leave(member: Member): boolean {
    if (!this.members.delete(member)) return false;
    this.onEvent?.({ type: 'left', from: member.from, members: this.members.size });
    return true;
  }

  private drop(member: Member, code: grpc.status, details: string): void {
    if (!this.members.delete(member)) return;
    this.onEvent?.({ type: 'dropped', from: member.from, queued: member.call.writableLength, code });
    // The status goes out after the messages already queued for this member;
    // nothing more is added to its queue.
    member.call.emit('error', statusError(code, details));
  }
}
