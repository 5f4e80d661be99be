// node:sqlite without its start-up note: Node 22 prints an ExperimentalWarning
// when the module loads (Node 24 does not), which is not the lesson's output.
import { createRequire } from 'node:module';

type Sqlite = typeof import('node:sqlite');

const emitWarning = process.emitWarning;
// Only that one warning, only while the module loads; every other warning still shows.
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (!String(warning).startsWith('SQLite is an experimental feature'))
    (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;
let sqlite: Sqlite;
try {
  sqlite = createRequire(import.meta.url)('node:sqlite') as Sqlite;
} finally {
  process.emitWarning = emitWarning;
}

export const { DatabaseSync } = sqlite;
export type Database = InstanceType<Sqlite['DatabaseSync']>;

/**
 * A database file for a durable queue. WAL: a commit appends to the log, and
 * readers (the relay) never block the writer. synchronous=NORMAL: in WAL mode a
 * commit is written to the file without an fsync, so it survives the process
 * dying (a crash, SIGKILL), which is what an outbox is for here; a power cut
 * may lose the last commits, never corrupt the file. FULL would add an fsync
 * (milliseconds on a disk) to every greeting.
 */
export function openDatabase(path: string): Database {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  return db;
}
