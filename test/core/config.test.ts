import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, flagLayer } from '../../src/core/config/index.js';
import { configLeaves, envLayer, renderConfigYaml, resolveConfig, riskConfigFor } from '../../src/config.js';
import { parseConfigText } from '../../src/io/config-file.js';

const DEFAULTS_FILE = fileURLToPath(new URL('../../config/defaults.yaml', import.meta.url));

describe('configuration', () => {
  it('every value has a default and a reason, and its own environment variable', () => {
    const leaves = configLeaves();
    expect(leaves.length).toBeGreaterThan(0);
    for (const l of leaves) {
      expect(l.default, l.path).not.toBeUndefined();
      expect(l.description.length, `${l.path} says why`).toBeGreaterThan(20);
    }
    expect(new Set(leaves.map((l) => l.env)).size, 'env names are unique').toBe(leaves.length);
  });

  it('config/defaults.yaml is the schema rendered, and reads back to the defaults', () => {
    const shipped = readFileSync(DEFAULTS_FILE, 'utf8');
    expect(shipped, 'regenerate with: ofi-backtest config --defaults > config/defaults.yaml').toBe(renderConfigYaml());
    expect(resolveConfig([parseConfigText(shipped, 'defaults.yaml')]).config).toEqual(resolveConfig().config);
  });

  it('file < environment < flags, and each value says where it came from', () => {
    const file = parseConfigText('dataset:\n  format: jsonl\n  rotate_sec: 10\n  rotate_rows: 99\n', 'cfg.yaml');
    const env = envLayer({ DATASET_ROTATE_SEC: '20', DATASET_ROTATE_ROWS: '7', UNRELATED: 'x' });
    const flags = flagLayer({ 'dataset.rotate_rows': 5, 'dq.examples': undefined }, { 'dataset.rotate_rows': '--rotate-rows' });
    const { config, origins } = resolveConfig([file, env, flags]);
    expect(config.dataset).toMatchObject({ format: 'jsonl', rotate_sec: 20, rotate_rows: 5 });
    expect(origins['dataset.format']).toEqual({ source: 'file', at: 'cfg.yaml:2' });
    expect(origins['dataset.rotate_sec']).toEqual({ source: 'env', at: 'DATASET_ROTATE_SEC' });
    expect(origins['dataset.rotate_rows']).toEqual({ source: 'flag', at: '--rotate-rows' });
    expect(origins['dq.examples']).toEqual({ source: 'default' });
  });

  it('refuses a bad value naming the field, the value, what was expected and where', () => {
    const file = parseConfigText('dataset:\n  rotate_rows: -5\n  format: csv\n', 'cfg.yaml');
    let err: unknown;
    try {
      resolveConfig([file, envLayer({ DQ_SILENCE_SEC: 'soon' })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toContainEqual({ path: 'dataset.rotate_rows', value: -5, expected: 'expected a number > 0', at: 'cfg.yaml:2' });
    expect(issues).toContainEqual({ path: 'dataset.format', value: 'csv', expected: 'expected one of "parquet", "jsonl"', at: 'cfg.yaml:3' });
    expect(issues).toContainEqual({ path: 'dq.silence_sec', value: 'soon', expected: 'expected a number', at: 'DQ_SILENCE_SEC' });
    expect((err as Error).message).toContain('cfg.yaml:2: dataset.rotate_rows: expected a number > 0, got -5');
  });

  it('refuses an unknown key and suggests the near one', () => {
    expect(() => resolveConfig([parseConfigText('dataset:\n  rotate_sex: 3\n', 'cfg.yaml')])).toThrow(/cfg\.yaml:2: dataset\.rotate_sex: unknown key \(did you mean dataset\.rotate_sec\?\)/);
    expect(() => resolveConfig([parseConfigText('datasets: {}\n', 'cfg.yaml')])).toThrow(/datasets: unknown key \(did you mean dataset/);
  });

  it('refuses a file that is not YAML, naming its line', () => {
    expect(() => parseConfigText('dataset:\n  format: [jsonl\n', 'cfg.yaml')).toThrow(/^cfg\.yaml:\d+: not valid YAML/);
  });
});

describe('the symbols and harvest sections', () => {
  it('adds a file\'s instruments to the built-in ones, and refuses a bad symbol', () => {
    const { config } = resolveConfig([parseConfigText('symbols:\n  SOLUSDT: { tick_size: 0.01, lot_step: 1, min_qty: 1, min_notional: 5 }\n', 'cfg.yaml')]);
    expect(Object.keys(config.symbols).sort()).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(riskConfigFor(config, 'SOLUSDT')).toMatchObject({ lot_step: 1, min_qty: 1, min_notional: 5 });
    expect(riskConfigFor(config, 'ETHUSDT').min_notional).toBe(20);
    expect(riskConfigFor(config, 'XRPUSDT')).toBe(config.risk);
    expect(() => resolveConfig([parseConfigText('symbols:\n  sol: { tick_size: 1, lot_step: 1, min_qty: 1, min_notional: 1 }\n', 'cfg.yaml')])).toThrow(/symbols\.sol: invalid key: expected an upper-case exchange symbol/);
  });

  it('takes HARVEST_OUTPUT_DIR and SIGNAL_SINK_KIND from the environment', () => {
    const { config, origins } = resolveConfig([envLayer({ HARVEST_OUTPUT_DIR: '/data/live', SIGNAL_SINK_KIND: 'sqlite' })]);
    expect(config.harvest.output_dir).toBe('/data/live');
    expect(config.signal.sink_kind).toBe('sqlite');
    expect(origins['harvest.output_dir']).toEqual({ source: 'env', at: 'HARVEST_OUTPUT_DIR' });
  });
});
