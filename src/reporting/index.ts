/**
 * `reporting/`: pages and tables drawn from results it is given — no files, no Node API — so a
 * scoreboard renders the same in a job, a notebook or a browser. The jobs of `ofi-backtest/io`
 * write them.
 */
export * from './scoreboard-html.js';
