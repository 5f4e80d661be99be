// A consumer that handles each event once: the event id goes into a
// de-duplication table in the same transaction as the event's effect, and the
// broker's acknowledgement follows the commit. A redelivered event (the broker
// sent it twice, or the ack was lost) finds its id there and is only acknowledged.

import type { Broker } from './broker.js';
import { decodeGreeted, type Greeted } from './events.js';
import { openDatabase } from './sqlite.js';
import { Tally } from './tally.js';

export interface Analytics {
  /** Events handled, each once. */
  readonly handled: number;
  /** Deliveries of an event already handled. */
  readonly duplicates: number;
  /** Greetings per name, from the events. */
  counts(): Record<string, number>;
  /** Resolves once `handled` reaches n. */
  until(n: number): Promise<void>;
  stop(): Promise<void>;
}

export interface AnalyticsOptions {
  /** Default ':memory:'; a file keeps the de-duplication across restarts. */
  path?: string;
  /** The durable consumer's name: one group, each event once for it. */
  group?: string;
  /** Called after each event is handled. */
  onEvent?: (event: Greeted) => void;
}

export async function startAnalytics(
  broker: Broker,
  { path = ':memory:', group = 'analytics', onEvent }: AnalyticsOptions = {},
): Promise<Analytics> {
  const db = openDatabase(path);
  db.exec(`CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY);
           CREATE TABLE IF NOT EXISTS greetings (name TEXT PRIMARY KEY, n INTEGER NOT NULL)`);
  const markSeen = db.prepare('INSERT OR IGNORE INTO seen (event_id) VALUES (?)');
  const count = db.prepare('INSERT INTO greetings (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1');
  const handled = new Tally(Number((db.prepare('SELECT count(*) AS n FROM seen').get() as { n: number }).n));
  let duplicates = 0;

  const subscription = await broker.consume(group, async (body) => {
    const event = decodeGreeted(body);
    db.exec('BEGIN');
    try {
      if (Number(markSeen.run(event.eventId).changes) === 0) {
        db.exec('COMMIT');
        duplicates++;
        return;
      }
      count.run(event.name);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    handled.add();
    onEvent?.(event);
  });

  return {
    get handled() {
      return handled.count;
    },
    get duplicates() {
      return duplicates;
    },
    counts: () =>
      Object.fromEntries(
        (db.prepare('SELECT name, n FROM greetings ORDER BY name').all() as { name: string; n: number }[]).map((r) => [
          r.name,
          Number(r.n),
        ]),
      ),
    until: (n) => handled.until(n),
    async stop() {
      await subscription.stop();
      db.close();
    },
  };
}
