// A bounded outbox on disk: each greeting's event is committed here before the
// greeting is answered, and leaves only once a broker has acknowledged it.
// Events that arrive together share one transaction (a group commit).
import type { Logger } from '@course/04-interceptors';
import { Counter, Gauge, type Registry } from 'prom-client';
import { encodeGreeted, type Greeted } from './events.js';
import { type Database, openDatabase } from './sqlite.js';

/** Enough for minutes of a broker outage at a few hundred greetings a second. */
export const DEFAULT_OUTBOX_CAPACITY = 100_000;

export interface StoredEvent {
  seq: number;
  eventId: string;
  body: Uint8Array;
}

export interface OutboxOptions {
  /** The database file; the same path after a restart picks up what was left. */
  path: string;
  /** Events kept at most; one more is dropped, counted and logged. */
  capacity?: number;
  logger?: Logger;
  registry?: Registry;
}

export class Outbox {
  readonly capacity: number;
  private readonly db: Database;
  private readonly logger?: Logger;
  private readonly dropped: Counter;
  private size: number;
  private pending: { event: Greeted; done: (stored: boolean) => void }[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly insert;
  private readonly oldest;
  private readonly remove;

  constructor({ path, capacity = DEFAULT_OUTBOX_CAPACITY, logger, registry }: OutboxOptions) {
    this.capacity = capacity;
    this.logger = logger;
    this.db = openDatabase(path);
    this.db.exec('CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, body BLOB NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO outbox (event_id, body) VALUES (?, ?)');
    this.oldest = this.db.prepare('SELECT seq, event_id AS eventId, body FROM outbox ORDER BY seq LIMIT ?');
    this.remove = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.size = Number((this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
    const registers = registry ? [registry] : [];
    this.dropped = new Counter({
      name: 'greeter_events_dropped_total',
      help: 'Greeted events not written because the outbox was full (the greeting was answered).',
      registers,
    });
    const outbox = this;
    new Gauge({
      name: 'greeter_outbox_events',
      help: 'Greeted events in the outbox, waiting for a broker acknowledgement.',
      registers,
      collect() {
        this.set(outbox.size);
      },
    });
  }

  /** Events waiting. */
  get length(): number {
    return this.size;
  }

  /**
   * Stores the event with the others of this turn of the event loop, in one
   * commit; resolves true once it is on disk, false if the outbox was full.
   */
  add(event: Greeted): Promise<boolean> {
    return new Promise((done) => {
      if (this.pending.push({ event, done }) === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    const stored: boolean[] = [];
    this.db.exec('BEGIN');
    try {
      for (const { event } of batch) {
        const room = this.size < this.capacity;
        if (room) {
          this.insert.run(event.eventId, encodeGreeted(event));
          this.size++;
        }
        stored.push(room);
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.size = Number((this.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
      this.logger?.error({ err }, 'outbox write failed; events dropped');
      stored.fill(false);
    }
    batch.forEach(({ event, done }, i) => {
      if (!stored[i]) this.drop(event);
      done(Boolean(stored[i]));
    });
    if (stored.includes(true)) {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
  }

  private drop(event: Greeted): void {
    this.dropped.inc();
    if (this.logger?.isLevelEnabled('warn')) {
      this.logger.warn({ event_id: event.eventId, capacity: this.capacity }, 'outbox full: event dropped; the greeting was answered');
    }
  }

  /** The oldest events, in the order they were added. */
  peek(limit: number): StoredEvent[] {
    return (this.oldest.all(limit) as unknown as StoredEvent[]).map((e) => ({ ...e, seq: Number(e.seq) }));
  }

  /** After the broker's acknowledgement, never before. */
  delete(seq: number): void {
    if (Number(this.remove.run(seq).changes) > 0) this.size--;
  }

  /** Resolves when an event is added (or at once if some are waiting). */
  whenNotEmpty(): { ready: Promise<void>; cancel: () => void } {
    let wake = () => {};
    const ready = new Promise<void>((resolve) => {
      wake = resolve;
    });
    if (this.size > 0) wake();
    else this.waiters.add(wake);
    const cancel = () => {
      this.waiters.delete(wake);
      wake();
    };
    return { ready, cancel };
  }

  /** Commits what is pending; a second close does nothing. */
  close(): void {
    if (!this.db.isOpen) return;
    if (this.pending.length > 0) this.commit();
    this.db.close();
  }
}
