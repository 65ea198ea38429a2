/**
 * Signals in SQLite: `signals_{run_id}.db`, table `signals`, one typed column per field
 * (`gating_reasons` as JSON text, booleans as INTEGER 0/1, non-finite numbers as NULL), an
 * index on `(symbol, ts_ms)` for the usual question "this symbol's signals over that time".
 * The file to query in place (`sqlite3`, DuckDB's sqlite extension, pandas `read_sql`).
 *
 * Written through better-sqlite3 (synchronous, like the signal loop) in WAL mode with
 * `synchronous=NORMAL`: a committed transaction is in the write-ahead log in the operating
 * system's hands, so it survives the process being killed (a power cut may lose the last
 * ones, never corrupt the file), and readers can query the file while the run writes it.
 * Each batch is one transaction (a commit per signal would cost a WAL frame set each); a
 * kill mid-batch rolls that batch back whole.
 *
 * better-sqlite3 is an optional, native dependency, loaded only when a SQLite sink or reader
 * is made, so `ofi-backtest/io` loads where it is not installed.
 *
 * @see https://www.sqlite.org/wal.html
 * @see https://www.sqlite.org/pragma.html#pragma_synchronous
 * @see https://github.com/WiseLibs/better-sqlite3/blob/master/docs/api.md
 */
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { rejectRecord, UserInputError } from '../core/errors.js';
import type { Signal, SignalSink } from '../signals/types.js';
import { fileError } from '../io/lines.js';
import { decodeSignal, SIGNAL_COLUMNS, storedNumber } from './signal-columns.js';
import { FlushSchedule, signalFilePath, type SignalSinkOptions } from './signal-sink-base.js';
import { newReadStats, reject, type ReadOptions } from '../io/source.js';

/** The message when better-sqlite3 is missing. */
export const SQLITE_MISSING = 'the SQLite sink needs better-sqlite3, which is not installed (npm i better-sqlite3)';

let loaded: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3's `Database`, loaded on first use. `id` exists for tests of the missing
 * case. A missing package gives {@link SQLITE_MISSING}; one that fails to load (a native
 * build for another Node) says why.
 */
export function loadBetterSqlite(id = 'better-sqlite3'): typeof BetterSqlite3 {
  if (loaded && id === 'better-sqlite3') return loaded;
  try {
    const mod = createRequire(import.meta.url)(id) as typeof BetterSqlite3 | { default: typeof BetterSqlite3 };
    const Database = 'default' in mod && typeof mod.default === 'function' ? mod.default : (mod as typeof BetterSqlite3);
    if (id === 'better-sqlite3') loaded = Database;
    return Database;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${id}'`)) throw new UserInputError(SQLITE_MISSING, 'E_NO_SQLITE');
    throw new UserInputError(`the SQLite sink needs better-sqlite3, which did not load: ${e?.message ?? String(err)}`, 'E_NO_SQLITE');
  }
}

const COLUMN_LIST = SIGNAL_COLUMNS.map((c) => c.name).join(', ');

/** The table: text columns other than `divergence_type` are NOT NULL; numbers are NULL for NaN. */
const CREATE = `
CREATE TABLE IF NOT EXISTS signals (
  ${SIGNAL_COLUMNS.map((c) => `${c.name} ${c.sql}${c.kind === 'num' || c.kind === 'enum?' ? '' : ' NOT NULL'}`).join(',\n  ')}
);
CREATE INDEX IF NOT EXISTS signals_symbol_ts ON signals (symbol, ts_ms);
`;

/**
 * Inserts signals into `dir/signals_{runId}.db` (the folder must exist), creating the table
 * if needed. Each signal is inserted when written, inside the batch's open transaction,
 * which a flush commits.
 *
 * @example
 * const sink = new SqliteSignalSink('out', 'run-1');
 * sink.write(signal);
 * sink.close(); // out/signals_run-1.db
 */
export class SqliteSignalSink implements SignalSink {
  /** The database file. */
  readonly path: string;
  private db: BetterSqlite3.Database | null;
  private readonly insert: BetterSqlite3.Statement;
  private readonly begin: BetterSqlite3.Statement;
  private readonly commit: BetterSqlite3.Statement;
  private readonly schedule: FlushSchedule;
  /** The bound values of one row, reused. */
  private readonly row: unknown[] = new Array<unknown>(SIGNAL_COLUMNS.length);

  constructor(dir: string, runId: string, options: SignalSinkOptions = {}) {
    this.path = signalFilePath(dir, runId, 'db');
    const Database = loadBetterSqlite();
    this.schedule = new FlushSchedule(options, () => this.flush());
    if (options.truncate) for (const suffix of ['', '-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(CREATE);
      this.insert = db.prepare(`INSERT INTO signals (${COLUMN_LIST}) VALUES (${SIGNAL_COLUMNS.map(() => '?').join(', ')})`);
      this.begin = db.prepare('BEGIN');
      this.commit = db.prepare('COMMIT');
    } catch (err) {
      db?.close();
      throw new UserInputError(`${this.path}: cannot open as a signal database: ${(err as Error).message}`, 'E_SQLITE');
    }
    this.db = db;
  }

  /** Insert one signal into the open batch (values are bound now; the caller may reuse the object). */
  write(signal: Signal): void {
    const db = this.db;
    if (db === null) throw new Error(`${this.path}: signal sink is closed`);
    const row = this.row;
    for (let i = 0; i < SIGNAL_COLUMNS.length; i++) {
      const c = SIGNAL_COLUMNS[i]!;
      const v = signal[c.name];
      switch (c.kind) {
        case 'int':
        case 'num':
          row[i] = storedNumber(v as number);
          break;
        case 'bool':
          row[i] = v ? 1 : 0;
          break;
        case 'list':
          row[i] = JSON.stringify(v);
          break;
        default:
          row[i] = v ?? null;
      }
    }
    if (!db.inTransaction) this.begin.run();
    this.insert.run(row);
    this.schedule.wrote(signal.seq);
  }

  /** Commit the open batch. */
  flush(): void {
    this.schedule.raiseTimerError();
    if (this.db?.inTransaction) this.commit.run();
    this.schedule.done();
  }

  /**
   * Commit and close. A finished run's file is left in rollback-journal mode, one
   * self-contained file (no `-wal`/`-shm` beside it, none made by later read-only readers);
   * if a reader still has it open, it stays in WAL mode, which is as good.
   */
  close(): void {
    const db = this.db;
    if (db === null) return;
    this.flush();
    this.schedule.stop();
    try {
      db.pragma('journal_mode = DELETE');
    } catch {
      // SQLITE_BUSY: another connection has it open; WAL mode is kept
    }
    db.close();
    this.db = null;
  }
}

/**
 * The signals of a SQLite signal file, in `seq` order (file order among equal `seq`s). A row
 * that is not a signal (a value of the wrong type, bad JSON in `gating_reasons`) is refused
 * through `options.onReject`, its `line` being the row's rowid. Opens the file read-only; a
 * file left by a killed run is read as of its last committed batch.
 *
 * @example
 * const signals = readSignalsSqlite('out/signals_run-1.db');
 */
export function readSignalsSqlite(path: string, options: ReadOptions = {}): Signal[] {
  const name = options.name ?? path;
  const stats = options.stats ?? newReadStats();
  if (!existsSync(path)) throw fileError(path, Object.assign(new Error('no such file'), { code: 'ENOENT' }));
  const Database = loadBetterSqlite();
  let db: BetterSqlite3.Database | undefined;
  let rows: unknown[][];
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    rows = db.prepare(`SELECT rowid, ${COLUMN_LIST} FROM signals ORDER BY seq, rowid`).raw().all() as unknown[][];
  } catch (err) {
    throw new UserInputError(`${path}: cannot read as a signal database: ${(err as Error).message}`, 'E_SQLITE');
  } finally {
    db?.close();
  }
  const signals: Signal[] = [];
  for (const row of rows) {
    stats.lines++;
    const s = decodeSignal((_, i) => row[i + 1], true);
    if ('message' in s) reject(options, stats, rejectRecord(name, row[0] as number, 'bad-row', s.message, JSON.stringify(row), s.field));
    else signals.push(s);
  }
  return signals;
}
