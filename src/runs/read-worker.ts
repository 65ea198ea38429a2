/**
 * The worker thread of a {@link DataReader} opened with `worker: true`: it reads and merges the
 * sources (parsing, Parquet decoding, the merge, all of `DataReader.chunks()`) while the thread
 * that started it works on the chunks already sent. Each chunk's arrays are transferred, not
 * copied (every chunk is a fresh table whose buffers nothing else holds).
 *
 * Protocol: started with {@link ReadWorkerData}; sends `{ t: 'chunk', d }` at most `ahead`
 * chunks beyond those acknowledged (each number the parent sends is that many more chunks it
 * has taken), then `{ t: 'end', report }`, or `{ t: 'error', message, code, user }` when the read
 * itself fails (a source failing part-way is not that: it is in the report, as in the thread).
 *
 * @see https://nodejs.org/api/worker_threads.html (postMessage with a transfer list)
 */
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventTableData } from '../backtest/data/event-table.js';
import { OfiError, UserInputError } from '../core/errors.js';
import { DataReader, type DataReaderOptions } from './backtest-data.js';
import type { SourceFormat } from '../io/detect.js';

/** What a read worker is started with. */
export interface ReadWorkerData {
  sources: { path: string; format: SourceFormat }[];
  options: DataReaderOptions;
  /** Chunks sent ahead of the parent's acknowledgements. */
  ahead: number;
}

/** The array buffers of a table's columns, each once (shared ones stay shared and are left out). */
function transferList(d: EventTableData): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (o: object): void => {
    for (const v of Object.values(o)) {
      if (ArrayBuffer.isView(v)) {
        if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
      } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) visit(v);
    }
  };
  visit(d);
  return [...out];
}

const port = parentPort;
if (port) {
  const data = workerData as ReadWorkerData;
  let credit = data.ahead;
  port.on('message', (n: number) => (credit += n));
  const reader = DataReader.ofSources(data.sources, { ...data.options, worker: false });
  try {
    for await (const t of reader.chunks()) {
      // the listener above counts the acknowledgement this waits for
      while (credit <= 0) await once(port, 'message');
      credit--;
      const d = t.data();
      port.postMessage({ t: 'chunk', d }, transferList(d));
    }
    port.postMessage({ t: 'end', report: reader.report });
  } catch (err) {
    // the toolkit's own errors keep their class and code across the thread boundary
    const e = err as Error & { code?: unknown };
    const own = err instanceof OfiError;
    port.postMessage({ t: 'error', message: e instanceof Error ? e.message : String(err), code: own ? e.code : null, user: err instanceof UserInputError });
  }
  port.unref();
}
