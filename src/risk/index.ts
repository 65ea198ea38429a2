/**
 * The risk layer: what may be traded, and how much. Pure and synchronous (no file system, no
 * network, no Node-only API), so the backtester, the live loop, Deno and a browser run the same
 * rules.
 *
 * - {@link StrategyModeManager}: market activity to quiet / normal / active / aggressive, with
 *   hysteresis, a dwell time and a UTC schedule.
 * - {@link EwmaVolatility} and {@link volTargetSize}: RiskMetrics volatility on a fixed clock and
 *   the volatility-target position, capped and lot-rounded.
 * - {@link DailyLossWall}: the day's loss limit with re-arming by day or by recovery.
 * - {@link checkRisk}: signal, position and market to an order or the reason for none.
 */
export {
  StrategyModeManager,
  modeRank,
  STRATEGY_MODES,
  type StrategyMode,
  type ActivityInput,
  type ActivityMetrics,
  type ModeChange,
  type ModeListener,
} from './strategy-mode.js';
export { judgeMode, inWindow } from './mode-rules.js';
export { EwmaVolatility, annualise, SECONDS_PER_YEAR, type EwmaVolatilityOptions } from './volatility.js';
export { volTargetSize, floorToStep, addOnStep, stepDecimals, type SizingConfig, type SizeLimit, type SizeResult } from './sizing.js';
export {
  DailyLossWall,
  advanceLossWall,
  stepLossWall,
  initialLossWallState,
  lossWallBlock,
  wallFor,
  type LossWallConfig,
  type LossWallState,
} from './loss-wall.js';
export { checkRisk, resolveRiskConfig, initialRiskState, riskStateFromWall, DEFAULT_RISK_CONFIG } from './check.js';
export { RiskSection, MODE_ENTRIES, type RiskConfig, type RiskConfigInput, type ModeEntries } from './config.js';
export {
  StrategyModeSection,
  parseScheduleWindow,
  SCHEDULE_ACTIONS,
  type StrategyModeConfig,
  type StrategyModeConfigInput,
  type ScheduleWindow,
  type ScheduleAction,
} from './strategy-mode-config.js';
export type { RiskSignal, RiskSignalType, RiskPosition, RiskMarket, RiskAction, RiskState, RiskDecision } from './types.js';
