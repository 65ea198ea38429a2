/**
 * The worker thread of a sweep (`runs/sweep-pool.ts`): started before the sweep's data is read,
 * it loads its code, then is given the event table (shared memory), the plans it may be asked to
 * run and the sweep's setup once, in an `init` message, says it is ready and answers:
 *
 * - `{ t: 'features', i }`: the stage-1 feature table of plan `i`'s features section, computed
 *   into shared memory and sent back (no copy), to be shared with every worker (or null and the
 *   error when it cannot be computed: the runs then compute their own and record the error);
 * - `{ t: 'add-features', key, features }`: keep that shared feature table for runs of `key`
 *   (it may come before `init`: a pool computing the first one itself sends it first);
 * - `{ t: 'market' }`: make what runs on shared features share besides the features (the
 *   table's depth track and feed times, `marketData`) in shared memory and send it back, to be
 *   shared with every worker;
 * - `{ t: 'add-market', market }`: keep that for the runs on shared features (it may come
 *   before `init`); runs before it keep their own books and compute their feed times (the same
 *   records);
 * - `{ t: 'run', i, inline }`: run plan `i` (on the shared features of its key, or computing
 *   them itself when `inline` or none was shared) and send its {@link RunRecord} back, with the
 *   passes that recorded a signal tape and those that replayed one (runs on shared features
 *   replay the signals of an earlier run of theirs with the same signal configuration,
 *   `SignalTapes`) and whether it read the shared market.
 *
 * `evaluatePlan` never throws (a failing run is a record with its error); anything else that
 * goes wrong here ends the worker, and the pool records the plan in hand as failed and starts
 * another worker.
 */
import { parentPort } from 'node:worker_threads';
import { EventTable, type EventTableData } from '../backtest/data/event-table.js';
import type { FeatureTable } from '../backtest/features-stage.js';
import { adoptMarket, dataOfMarket, evaluatePlan, marketShared, sharedFeaturesOf, SignalTapes, type Market, type MarketData } from '../sweep/evaluate.js';
import type { RunPlan, RunRecord, SweepSetup } from '../sweep/types.js';

/** What a worker is given once, in its first message (`init`). */
export interface SweepWorkerData {
  table: EventTableData;
  plans: RunPlan[];
  setup: SweepSetup;
}

/** Messages to a worker. */
export type SweepWorkerMessage =
  | ({ t: 'init' } & SweepWorkerData)
  | { t: 'features'; i: number }
  | { t: 'add-features'; key: string; features: FeatureTable }
  | { t: 'market' }
  | { t: 'add-market'; market: MarketData }
  | { t: 'run'; i: number; inline: boolean };

/** A worker's answer to `run`: the record, the passes of the run that recorded and that replayed a signal tape, and whether it read the shared market. */
export interface RunReply {
  t: 'run';
  i: number;
  record: RunRecord;
  tapes: { recorded: number; replayed: number };
  market: boolean;
}

const port = parentPort;
if (port) {
  let data: SweepWorkerData | null = null;
  let table: EventTable | null = null;
  const features = new Map<string, FeatureTable>();
  // the runs on shared features replay the signals an earlier run of the same signal configuration recorded
  const tapes = new SignalTapes();
  // the shared market, once made here or given (kept as given until 'init' brings the table)
  let market: Market | null = null;
  let given: MarketData | null = null;
  port.on('message', (m: SweepWorkerMessage) => {
    if (m.t === 'init') {
      data = { table: m.table, plans: m.plans, setup: m.setup };
      table = EventTable.fromData(m.table);
      if (given) market = adoptMarket(table, given);
      port.postMessage({ t: 'ready' });
      return;
    }
    if (m.t === 'add-features') {
      features.set(m.key, m.features);
      return;
    }
    if (m.t === 'add-market') {
      if (table) market ??= adoptMarket(table, m.market);
      else given = m.market;
      return;
    }
    // the pool sends jobs only once this worker said it is ready, after 'init'
    if (!data || !table) throw new Error(`sweep worker: '${m.t}' before 'init'`);
    if (m.t === 'market') {
      market = marketShared(table, { shared: true });
      port.postMessage({ t: 'market', market: dataOfMarket(market) });
      return;
    }
    const plan = data.plans[m.i]!;
    if (m.t === 'features') {
      // null and the error when it fails: the runs of this features section compute their own, and record why they fail
      port.postMessage({ t: 'features', key: plan.featureKey, ...sharedFeaturesOf(plan, table) });
      return;
    }
    const f = m.inline ? null : (features.get(plan.featureKey) ?? null);
    const { recorded, replayed } = tapes;
    const record = evaluatePlan(plan, table, f, data.setup, { tapes, market });
    const reply: RunReply = { t: 'run', i: m.i, record, tapes: { recorded: tapes.recorded - recorded, replayed: tapes.replayed - replayed }, market: f !== null && market !== null };
    port.postMessage(reply);
  });
}
