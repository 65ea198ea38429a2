/**
 * The toolkit's configuration: every layer's section composed into one zod schema, and the
 * configuration functions bound to it. Each section lives in its layer (`core/config/sections.ts`
 * for datasets and data quality, `microstructure/config.ts`, `signals/config.ts`,
 * `risk/config.ts`, `risk/strategy-mode-config.ts`, `sweep/config.ts`); this module only puts them together, so
 * no lower layer needs to know the ones above it.
 *
 * Every value has a default and the reason for it; `config/defaults.yaml` is this schema
 * rendered (`ofi-backtest config --defaults`), and a test keeps the two in step.
 */
import * as z from 'zod';
import { DatasetSection, DqSection, SymbolsSection } from './core/config/sections.js';
import { envLayerOf, resolveLayers, schemaLeaves, type ConfigLayer, type ConfigLeaf, type ResolvedConfig, type ValueOrigin } from './core/config/resolve.js';
import { renderSchemaYaml } from './core/config/render.js';
import { FeaturesSection } from './microstructure/config.js';
import { SignalSection } from './signals/config.js';
import { StrategyModeSection } from './risk/strategy-mode-config.js';
import { riskForInstrument, RiskSection, type RiskConfig } from './risk/config.js';
import { HarvestSection } from './live/config.js';
import { BacktestSection } from './backtest/config.js';
import { StrategySection } from './backtest/strategy-config.js';
import { SweepSection } from './sweep/config.js';

/** The whole configuration. */
export const ConfigSchema = z
  .object({
    harvest: HarvestSection.prefault({}),
    dataset: DatasetSection.prefault({}),
    dq: DqSection.prefault({}),
    features: FeaturesSection.prefault({}),
    signal: SignalSection.prefault({}),
    strategy_mode: StrategyModeSection.prefault({}),
    risk: RiskSection.prefault({}),
    backtest: BacktestSection.prefault({}),
    strategy: StrategySection.prefault({}),
    sweep: SweepSection.prefault({}),
    symbols: SymbolsSection,
  })
  .strict();

/** A resolved configuration. */
export type Config = z.infer<typeof ConfigSchema>;
/** A configuration as a file may give it: any part, any depth. */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Every settable value of the configuration, in declaration order. */
export function configLeaves(): ConfigLeaf[] {
  return schemaLeaves(ConfigSchema);
}

/** The environment layer: every variable that names a value (`DATASET_ROTATE_SEC` → dataset.rotate_sec). */
export function envLayer(env: Record<string, string | undefined>): ConfigLayer {
  return envLayerOf(ConfigSchema, env);
}

/**
 * Resolve layers over the defaults (later layers win) and validate.
 *
 * @example
 * resolveConfig([envLayer({ DATASET_ROTATE_SEC: '60' })]).config.dataset.rotate_sec // 60
 */
export function resolveConfig(layers: readonly ConfigLayer[] = []): ResolvedConfig<Config> {
  return resolveLayers(ConfigSchema, layers);
}

/** The defaults (no layer at all). */
export function defaultConfig(): Config {
  return resolveConfig().config;
}

/** YAML of a configuration (the defaults when none is given), each value with its reason and, given origins, where it came from. */
export function renderConfigYaml(config?: Config, origins?: Record<string, ValueOrigin>, header = true): string {
  return renderSchemaYaml(ConfigSchema, config, origins, header);
}

/**
 * The risk section for one symbol: its lot step, minimum quantity and notional from the
 * `symbols` section when the symbol is listed there, so sizing rounds as the exchange would.
 */
export function riskConfigFor(config: Config, symbol: string): RiskConfig {
  return riskForInstrument(config.risk, config.symbols[symbol]);
}
