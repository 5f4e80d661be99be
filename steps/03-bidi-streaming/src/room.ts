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
 * Messages that may wait for one member before it is dropped. Each member
 * has its own queue, so one slow reader costs at most this many messages of
 * memory and never delays anyone else.
 */
export const DEFAULT_MAX_QUEUE = 64;

/**
 * What the room did. Kept as a server hook, not only for the demo and the
 * tests: a real chat server counts joins and drops here (lesson 08's first
 * exercise turns `dropped` into a Prometheus counter), and a client cannot see
 * another member being dropped.
 */
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
  /**
   * The member's queue. The room hands its stream one message at a time and
   * keeps the rest here, not in the stream's buffer: a dropped member's
   * queue can then be thrown away, so its status goes out next instead of
   * after everything that was waiting.
   */
  waiting: ChatMessage[];
  /** A message is with the stream and its write has not completed. */
  writing: boolean;
  /** write()'s callback, made once per member: the stream took the message. */
  written(): void;
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
    const member: Member = {
      call,
      waiting: [],
      writing: false,
      written: () => {
        member.writing = false;
        const next = member.waiting.shift();
        if (next) this.send(member, next);
      },
    };
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
      if (member.waiting.length >= this.maxQueue) {
        this.drop(member, grpc.status.RESOURCE_EXHAUSTED, `too slow: ${member.waiting.length} messages waiting, the room moved on`);
        continue;
      }
      this.send(member, message);
    }
  }

  /** Ends every member's call: the server is going away. */
  close(): void {
    for (const member of this.members) this.drop(member, grpc.status.UNAVAILABLE, 'the room is closing: the server is stopping');
  }

  /** The stream gets the message now if it is free, else the member's queue keeps it. */
  private send(member: Member, message: ChatMessage): void {
    if (member.writing) {
      member.waiting.push(message);
      return;
    }
    member.writing = true;
    member.call.write(message, member.written);
  }

  private leave(member: Member): boolean {
    if (!this.members.delete(member)) return false;
    member.waiting.length = 0;
    this.onEvent?.({ type: 'left', from: member.from, members: this.members.size });
    return true;
  }

  private drop(member: Member, code: grpc.status, details: string): void {
    if (!this.members.delete(member)) return;
    const queued = member.waiting.length;
    member.waiting.length = 0;
    this.onEvent?.({ type: 'dropped', from: member.from, queued, code });
    // What the stream has already taken still goes out, then the status; the
    // messages that were waiting never do.
    member.call.emit('error', statusError(code, details));
  }
}
