/**
 * A run that writes `signalAt(0), signalAt(1), …` through a dual signal sink forever,
 * printing the last `seq` of each completed flush on its own line, until it is killed.
 * Bundled and spawned by test/io/signal-sinks.test.ts.
 *
 * Arguments: DIR RUN_ID FLUSH_EVERY FLUSH_MS [announce|pause]
 * With `announce`, it also prints `begin` as each flush starts and `between` once the JSONL
 * part is written and the SQLite commit is next, so the test can kill it at those points;
 * `pause` then waits a second before the commit, so a kill on `between` lands there for
 * sure. (The dual sink is then assembled by hand around a JSONL sink that announces; without
 * these, `openSignalSink('dual', …)` makes it.)
 */
import { DualSignalSink, JsonlSignalSink, openSignalSink, SqliteSignalSink, type SignalFlushOptions } from '../../src/runs/signal-sinks.js';
import type { SignalSink } from '../../src/signals/types.js';
import { signalAt } from './signal-arbs.js';

const [dir, runId, every, ms, announce] = process.argv.slice(2);
if (!dir || !runId) throw new Error('usage: signal-writer DIR RUN_ID FLUSH_EVERY FLUSH_MS [announce|pause]');
// a pipe's stdout is written synchronously on Linux, so a printed line left before anything after it ran
const say = (text: string): void => void process.stdout.write(`${text}\n`);
const options: SignalFlushOptions = { flushEvery: Number(every), flushMs: Number(ms), onFlush: ({ lastSeq }) => say(String(lastSeq)) };

let sink: SignalSink;
if (announce === 'announce' || announce === 'pause') {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  const manual = { flushEvery: Infinity, flushMs: 0 };
  const jsonl = new JsonlSignalSink(dir, runId, manual);
  const first: SignalSink = {
    write: (s) => jsonl.write(s),
    flush: () => {
      say('begin');
      jsonl.flush();
      say('between');
      if (announce === 'pause') Atomics.wait(sleep, 0, 0, 1000);
    },
    close: () => jsonl.close(),
  };
  sink = new DualSignalSink(first, new SqliteSignalSink(dir, runId, manual), options);
} else {
  sink = openSignalSink('dual', dir, runId, options);
}
for (let seq = 0; ; seq++) sink.write(signalAt(seq, runId));
