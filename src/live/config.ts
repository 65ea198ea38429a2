/**
 * The `harvest` section: what the harvester records from Binance USD-M and where. Formats,
 * rotation and batch sizes of what it writes are the `dataset` section's.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
 */
import * as z from 'zod';

export const HarvestSection = z
  .object({
    output_dir: z.string().min(1).default('data/harvest').describe('Root of the Hive-partitioned dataset the harvester writes ({root}/{kind}/symbol=…/date=…); HARVEST_OUTPUT_DIR in deployments.'),
    symbols: z
      .array(z.string().regex(/^[A-Z0-9_]+$/))
      .min(1)
      .default(['BTCUSDT', 'ETHUSDT'])
      .describe('Symbols to record: the two most liquid USD-M perpetuals, whose order flow the toolkit is tuned on.'),
    streams: z
      .array(z.enum(['depth@0ms', 'depth@100ms', 'bookTicker', 'trade', 'aggTrade', 'markPrice@1s', 'markPrice']))
      .min(1)
      .default(['depth@0ms', 'bookTicker', 'trade', 'markPrice@1s'])
      .describe('Streams per symbol: every depth diff (the local book and multi-level OFI), every best bid/ask change (OFI), every trade (CVD), and the mark price each second (funding in backtests).'),
    ws_url: z.string().url().default('wss://fstream.binance.com').describe('Websocket base URL: Binance USD-M production; tests and demos point it at the replay server on loopback.'),
    rest_url: z.string().url().default('https://fapi.binance.com').describe('REST base URL, for the depth snapshot a local book syncs from.'),
    snapshot_limit: z
      .number()
      .int()
      .refine((n) => [5, 10, 20, 50, 100, 500, 1000].includes(n), { message: 'expected one of 5, 10, 20, 50, 100, 500, 1000' })
      .default(1000)
      .describe('Levels of the REST depth snapshot: the deepest Binance serves, so the local book starts complete.'),
    reconnect_hours: z.number().positive().max(24).default(23.5).describe('Reconnect before Binance closes a connection at 24 hours, so the switch happens on our schedule, with no gap.'),
    reconnect_backoff_ms: z.number().int().positive().default(1000).describe('First wait before reconnecting after a drop, doubled up to a minute: fast recovery without hammering the venue.'),
  })
  .strict();

export type HarvestConfig = z.infer<typeof HarvestSection>;
