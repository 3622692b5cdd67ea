// The evaluation of one customer at a view application `e` (SEMANTICS.md, "Evaluations"):
// windows, the expected consumption on the profile's basis, the share of wallet, the alert
// with its hysteresis and cooldown, and the customer's contribution to its peers' benchmark.

import type {
  CounterDelta,
  CustomerDecision,
  DecisionContext,
  Observation,
  OutputEvent,
} from '../../shared/runtime/worker-definition.js';
import { boughtBetween, KCAL, pricePerUnit, pruneBuckets } from './consumption.js';
import {
  type PeerCell,
  parsePeerCounterField,
  peerCellOf,
  peerCounterField,
  peerSegmentOf,
  typicalUsage,
} from './peer-segment.js';
import { histogramKey, type PeerView } from './peer-view.js';
import { type ProfileBasis, profileAt, pruneVersions } from './profile.js';
import { AGE_BANDS, DAY_MS, type ShareOfWalletSettings } from './settings.js';
import { type AlertState, alertKey, type PeerContribution, type ShareOfWalletState } from './state.js';
import { type UnderConsumption, underConsumptionEvent } from './under-consumption.js';

export type EvaluationOutcome =
  | 'evaluated'
  | 'no-profile'
  | 'empty-household'
  | 'missing-headcount'
  | 'insufficient-history'
  | 'no-peer-benchmark'
  | 'no-peer-usage';

export type Basis = 'household-calories' | 'headcount-peer-usage';

export const SHARE_METRIC = 'share_of_wallet';
export const OUTCOME_METRIC = 'share_of_wallet_evaluation';

interface Estimate {
  readonly basis: Basis;
  readonly unit: string;
  readonly expected: number;
  readonly basisDetail: string;
  readonly peerCount: number | null;
  readonly peerUsagePerEmployee: number | null;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

function householdEstimate(
  members: Readonly<Partial<Record<string, number>>>,
  windowDays: number,
  settings: ShareOfWalletSettings,
): Estimate {
  let perDay = 0;
  const parts: string[] = [];
  for (const band of AGE_BANDS) {
    const count = members[band] ?? 0;
    if (count === 0) continue;
    perDay += count * settings.kcalPerDay[band];
    parts.push(`${count} x ${band} ${settings.kcalPerDay[band]} kcal`);
  }
  return {
    basis: 'household-calories',
    unit: KCAL,
    expected: perDay * windowDays * settings.grocerShare,
    basisDetail: `(${parts.join(' + ')}) per day x ${windowDays} days x grocer share ${settings.grocerShare}`,
    peerCount: null,
    peerUsagePerEmployee: null,
  };
}

function businessEstimate(
  headcount: number,
  peers: { typical: number; peerCount: number },
  unit: string,
  segment: string,
  windowDays: number,
): Estimate {
  return {
    basis: 'headcount-peer-usage',
    unit,
    expected: headcount * peers.typical,
    basisDetail: `headcount ${headcount} x ${round(peers.typical, 4)} ${unit} per employee (lower median of ${peers.peerCount} peers in ${segment}, ${windowDays} days)`,
    peerCount: peers.peerCount,
    peerUsagePerEmployee: peers.typical,
  };
}

/** The customer's own cell in a histogram as counted at the view's boundary, to exclude it. */
function ownCellAt(
  contributions: readonly PeerContribution[],
  boundary: number,
  key: string,
): PeerCell | null {
  let counted: PeerContribution | null = null;
  for (const c of contributions) if (c.at < boundary) counted = c;
  for (const field of counted?.fields ?? []) {
    const parsed = parsePeerCounterField(field);
    if (parsed && histogramKey(parsed.windowDays, parsed.unit, parsed.segment) === key) return parsed.cell;
  }
  return null;
}

export function evaluateCustomer(
  previous: ShareOfWalletState,
  customerId: string,
  ctx: DecisionContext<PeerView>,
  settings: ShareOfWalletSettings,
): CustomerDecision<ShareOfWalletState> {
  const e = ctx.streamTime;
  const view = ctx.population;
  const state: ShareOfWalletState = {
    ...previous,
    buckets: pruneBuckets(previous.buckets, e, settings),
    profiles: pruneVersions(previous.profiles, e),
  };
  const profile: ProfileBasis | null = profileAt(state.profiles, e)?.basis ?? null;
  const alerts: Record<string, AlertState> = { ...state.alerts };
  const found: UnderConsumption[] = [];
  const observations: Observation[] = [];
  const contribution: string[] = [];
  const outcome = (result: EvaluationOutcome, basis: string) =>
    observations.push({ metric: OUTCOME_METRIC, value: 1, labels: { outcome: result, basis } });

  for (const windowDays of settings.windowsDays) {
    const from = e - windowDays * DAY_MS;
    const enoughHistory =
      state.historyStart !== null &&
      e - state.historyStart >= settings.minHistoryWindows * windowDays * DAY_MS;
    if (profile === null) {
      outcome('no-profile', 'none');
      continue;
    }
    if (profile.kind === 'unusable') {
      outcome(profile.reason, 'none');
      continue;
    }
    const basis: Basis = profile.kind === 'household' ? 'household-calories' : 'headcount-peer-usage';
    const units = profile.kind === 'household' ? [KCAL] : settings.usageUnits;
    for (const unit of units) {
      if (!enoughHistory) {
        outcome('insufficient-history', basis);
        continue;
      }
      const [bought] = boughtBetween(state.buckets, unit, from, e);
      const actual = Math.max(0, bought);
      let estimate: Estimate;
      if (profile.kind === 'household') {
        estimate = householdEstimate(profile.members, windowDays, settings);
      } else {
        const segment = peerSegmentOf(profile.industry, profile.headcount, settings.sizeBandEdges);
        contribution.push(
          peerCounterField(windowDays, unit, segment, peerCellOf(actual / profile.headcount)),
        );
        const key = histogramKey(windowDays, unit, segment);
        const own = view ? ownCellAt(state.contributions, view.boundary, key) : null;
        const peers = typicalUsage(new Map(view?.histograms[key] ?? []), own, settings.minPeers);
        if (peers === null || peers.typical <= 0) {
          outcome(peers === null ? 'no-peer-benchmark' : 'no-peer-usage', basis);
          continue;
        }
        estimate = businessEstimate(profile.headcount, peers, unit, segment, windowDays);
      }
      outcome('evaluated', basis);
      const share = actual / estimate.expected;
      observations.push({
        metric: SHARE_METRIC,
        value: share,
        labels: { basis, window: String(windowDays) },
      });
      const key = alertKey(windowDays, unit);
      const previousAlert = alerts[key] ?? { armed: true, lastAlertAt: null, belowSince: null };
      const below = share < settings.threshold;
      const current: AlertState = {
        armed: previousAlert.armed || share >= settings.threshold + settings.recoveryBand,
        lastAlertAt: previousAlert.lastAlertAt,
        belowSince: below ? (previousAlert.belowSince ?? e) : null,
      };
      alerts[key] = current;
      if (
        below &&
        current.armed &&
        e - current.belowSince! >= settings.confirmationMs &&
        (current.lastAlertAt === null || e - current.lastAlertAt >= settings.cooldownMs)
      ) {
        alerts[key] = { ...current, armed: false, lastAlertAt: e };
        const price = pricePerUnit(state.buckets, unit, from, e);
        const gapUnits = estimate.expected - actual;
        found.push({
          ...estimate,
          windowDays,
          windowStart: from,
          windowEnd: e,
          actual,
          share,
          gapUnits,
          gapMinor: price === null ? 0 : Math.round(gapUnits * price),
          priceKnown: price !== null,
        });
      }
    }
  }

  const counters: CounterDelta[] = [];
  const current = state.contributions.at(-1)?.fields ?? [];
  let contributions = [...state.contributions];
  if (current.join('\n') !== contribution.join('\n')) {
    for (const field of current) counters.push({ field, delta: -1 });
    for (const field of contribution) counters.push({ field, delta: 1 });
    contributions.push({ at: e, fields: contribution });
  }
  // A later view (boundary above this one) counts the latest contribution made before it: the
  // one counted at this boundary or a newer one. Older ones can go.
  const boundary = view?.boundary ?? e;
  const lastBefore = contributions.reduce<number>((index, c, i) => (c.at < boundary ? i : index), 0);
  contributions = contributions.slice(lastBefore);

  const outputs: OutputEvent[] = found.map((alert, n) =>
    underConsumptionEvent(alert, customerId, previous.valueTier, n, ctx, settings),
  );
  // A customer with neither a profile nor a kept day is forgotten: nothing of it can matter
  // again but its history start, which a new first purchase restarts.
  if (
    state.profiles.length === 0 &&
    state.buckets.length === 0 &&
    contributions.every((c) => c.fields.length === 0)
  ) {
    return { state: null, outputs, timers: [], indexScore: null, counters, observations };
  }
  return {
    state: { ...state, alerts, contributions },
    outputs,
    timers: [],
    counters,
    observations,
  };
}
