/** The `signal` configuration section: its defaults and reasons, its checks, and its environment variables. */
import { describe, expect, it } from 'vitest';
import { configLeaves, resolveConfig, envLayer } from '../../src/config.js';
import { SIGNAL_SINK_KINDS } from '../../src/runs/signal-sinks.js';
import { loadConfig } from '../../src/cli/config.js';
import { SIGNAL_OUTPUT_KEYS, SIGNAL_SINK_NAMES, SignalSection, signalRules } from '../../src/signals/config.js';

describe('signal section', () => {
  it('every key has a default and a reason long enough to be one', () => {
    const leaves = configLeaves().filter((l) => l.path.startsWith('signal.'));
    expect(leaves.length).toBe(Object.keys(SignalSection.parse({})).length);
    for (const l of leaves) {
      expect(l.default, l.path).not.toBeUndefined();
      expect(l.description.length, `${l.path} says why`).toBeGreaterThan(40);
    }
  });

  it('its sink names are the sinks openSignalSink makes', () => {
    expect([...SIGNAL_SINK_NAMES]).toEqual([...SIGNAL_SINK_KINDS]);
  });

  it('SIGNAL_SINK_KIND and SIGNAL_OUT_DIR set the sink and its folder; a bad kind is refused with the variable, field and choices', async () => {
    const { config, origins } = await loadConfig({ env: { SIGNAL_SINK_KIND: 'dual', SIGNAL_OUT_DIR: '/tmp/s', SIGNAL_COOLDOWN_SEC: '5' } });
    expect(config.signal.sink_kind).toBe('dual');
    expect(config.signal.out_dir).toBe('/tmp/s');
    expect(config.signal.cooldown_sec).toBe(5);
    expect(origins['signal.sink_kind']).toEqual({ source: 'env', at: 'SIGNAL_SINK_KIND' });
    expect(() => resolveConfig([envLayer({ SIGNAL_SINK_KIND: 'kafka' })])).toThrow(/SIGNAL_SINK_KIND: signal\.sink_kind: expected one of "jsonl", "sqlite", "dual", "null", got "kafka"/);
  });

  it('refuses a strong threshold below its normal one, and values out of range', () => {
    expect(() => resolveConfig([{ source: 'file', origin: 'cfg.yaml', data: { signal: { sell_threshold: 3 } } }])).toThrow(/signal\.strong_sell_threshold: expected ≥ sell_threshold \(3\)/);
    expect(SignalSection.safeParse({ min_consistency: 1.5 }).success).toBe(false);
    expect(SignalSection.safeParse({ agree_updates: 0 }).success).toBe(false);
    expect(SignalSection.safeParse({ blocked_modes: ['sleepy'] }).success).toBe(false);
  });

  it('the rules are the section without its output keys', () => {
    const rules = signalRules(SignalSection.parse({}));
    for (const k of SIGNAL_OUTPUT_KEYS) expect(k in rules).toBe(false);
    expect(Object.keys(rules).length + SIGNAL_OUTPUT_KEYS.length).toBe(Object.keys(SignalSection.parse({})).length);
  });
});
