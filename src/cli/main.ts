/** The `ofi-backtest` command. */
console.log('ofi-backtest');
