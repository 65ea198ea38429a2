/** The package version, shown by `ofi-backtest --version` and stamped into run outputs. */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
