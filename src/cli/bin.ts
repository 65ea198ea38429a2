/** Entry point of the `ofi-backtest` executable. */
import { run } from './main.js';

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
