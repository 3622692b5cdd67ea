// When a customer is at risk, and how much (SEMANTICS: "Churn risk and its timing").

import type { RetentionView } from './fit-view.js';
import { modelSummary } from './fit-view.js';
import { riskPAlive, riskTimer } from './models/risk-timing.js';
import type { DaySummary } from './purchase-days.js';
import { DAY_MS, type RetentionSettings } from './settings.js';

/** P(alive) at stream time `now` under the view's BG/NBD fit; null before the first fit or purchase. */
export function pAliveAt(
  summary: DaySummary | null,
  view: RetentionView | null,
  now: number,
  settings: RetentionSettings,
): { pAlive: number; basis: string } | null {
  if (view === null || summary === null) return null;
  const unit = settings.timeUnitDays * DAY_MS;
  const model = {
    ...modelSummary(summary, summary.lastDay, settings),
    T: Math.max(0, now - summary.firstDay) / unit,
  };
  const { pAlive, basis } = riskPAlive(view.bgnbd.params, { ...model, T: Math.max(model.T, model.tx) });
  return { pAlive, basis };
}

/**
 * The exact stream time at which P(alive) falls below the threshold with no purchase in between
 * (the closed form solved for T; the one-time-buyer fallback for x = 0), never before `after`.
 */
export function silenceDueAt(
  summary: DaySummary | null,
  view: RetentionView | null,
  after: number,
  settings: RetentionSettings,
): number | null {
  if (view === null || summary === null) return null;
  const model = modelSummary(summary, summary.lastDay, settings);
  const threshold = model.x > 0 ? settings.riskThreshold : settings.oneTimeBuyerRiskThreshold;
  const { age } = riskTimer(view.bgnbd.params, model, threshold);
  if (!Number.isFinite(age)) return null;
  const dueAt = summary.firstDay + Math.ceil(age * settings.timeUnitDays * DAY_MS);
  return Math.max(dueAt, after + 1);
}
