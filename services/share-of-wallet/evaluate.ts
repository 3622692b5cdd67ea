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
import { amountBetween, KCAL, pricePerUnit, pruneBuckets } from './consumption.js';
import {
  histogramKey,
  type PeerCell,
  parseCell,
  peerCellOf,
  peerHistogramFieldPrefix,
  peerSegmentOf,
  typicalUsage,
} from './peer-segment.js';
import type { PeerView } from './peer-view.js';
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
const FOOD_ENERGY: readonly string[] = [KCAL];

// Every household is evaluated at every view for each window: its daily need is computed once
// per members object (the same while its profile version stands) and settings.
const needPerDay = new WeakMap<ShareOfWalletSettings, WeakMap<object, number>>();

/** Expected food energy of a household over the window: the part of every estimate that is evaluated daily. */
function householdExpected(
  members: Readonly<Partial<Record<string, number>>>,
  windowDays: number,
  settings: ShareOfWalletSettings,
): number {
  let bySettings = needPerDay.get(settings);
  if (bySettings === undefined) {
    bySettings = new WeakMap();
    needPerDay.set(settings, bySettings);
  }
  let perDay = bySettings.get(members);
  if (perDay === undefined) {
    perDay = 0;
    for (const band of AGE_BANDS) perDay += (members[band] ?? 0) * settings.kcalPerDay[band];
    bySettings.set(members, perDay);
  }
  return perDay * windowDays * settings.grocerShare;
}

/** The household estimate with its wording, built only for an alert. */
function householdEstimate(
  members: Readonly<Partial<Record<string, number>>>,
  windowDays: number,
  settings: ShareOfWalletSettings,
): Estimate {
  const parts: string[] = [];
  for (const band of AGE_BANDS) {
    const count = members[band] ?? 0;
    if (count > 0) parts.push(`${count} x ${band} ${settings.kcalPerDay[band]} kcal`);
  }
  return {
    basis: 'household-calories',
    unit: KCAL,
    expected: householdExpected(members, windowDays, settings),
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
  fieldPrefix: string,
): PeerCell | null {
  let counted: PeerContribution | null = null;
  for (const c of contributions) if (c.at < boundary) counted = c;
  for (const field of counted?.fields ?? []) {
    // A cell is 'z' or an integer: no ':' follows the histogram's prefix.
    if (field.startsWith(fieldPrefix) && !field.includes(':', fieldPrefix.length))
      return parseCell(field.slice(fieldPrefix.length));
  }
  return null;
}

/**
 * `compute` once per pair of keys, held in nested maps: every customer is evaluated at every view
 * application, and a key string built per call would cost more than what it looks up.
 */
function memoizedByPair<A, B, V>(compute: (a: A, b: B) => V): (a: A, b: B) => V {
  const byFirst = new Map<A, Map<B, V>>();
  return (a, b) => {
    let bySecond = byFirst.get(a);
    if (bySecond === undefined) {
      bySecond = new Map();
      byFirst.set(a, bySecond);
    }
    let value = bySecond.get(b);
    if (value === undefined) {
      value = compute(a, b);
      bySecond.set(b, value);
    }
    return value;
  };
}

// Observations of an evaluation, shared: these objects are only read (by the metrics).
const outcomeObservation = memoizedByPair(
  (result: EvaluationOutcome, basis: string): Observation =>
    Object.freeze({ metric: OUTCOME_METRIC, value: 1, labels: Object.freeze({ outcome: result, basis }) }),
);
const shareLabels = memoizedByPair((basis: Basis, windowDays: number) =>
  Object.freeze({ basis, window: String(windowDays) }),
);
function shareObservation(basis: Basis, windowDays: number, share: number): Observation {
  return { metric: SHARE_METRIC, value: share, labels: shareLabels(basis, windowDays) };
}
/** The alert of a window and unit is looked up at every evaluation. */
const alertKeyOf = memoizedByPair(alertKey);

/** The peers' lower median without the customer's own cell, once per histogram of a view and own cell. */
const typicalUsageByHistogram = new WeakMap<
  object,
  Map<string, { typical: number; peerCount: number } | null>
>();
const NO_PEERS: ReadonlyArray<readonly [PeerCell, number]> = [];
function typicalUsageOf(
  histogram: ReadonlyArray<readonly [PeerCell, number]>,
  own: PeerCell | null,
  minPeers: number,
): { typical: number; peerCount: number } | null {
  let byOwn = typicalUsageByHistogram.get(histogram);
  if (!byOwn) {
    byOwn = new Map();
    typicalUsageByHistogram.set(histogram, byOwn);
  }
  const key = `${own}|${minPeers}`;
  if (!byOwn.has(key)) byOwn.set(key, typicalUsage(new Map(histogram), own, minPeers));
  return byOwn.get(key)!;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function sameAlert(a: AlertState, b: AlertState): boolean {
  return a.armed === b.armed && a.lastAlertAt === b.lastAlertAt && a.belowSince === b.belowSince;
}

export function evaluateCustomer(
  previous: ShareOfWalletState,
  customerId: string,
  ctx: DecisionContext<PeerView>,
  settings: ShareOfWalletSettings,
): CustomerDecision<ShareOfWalletState> {
  const e = ctx.streamTime;
  const view = ctx.population;
  const buckets = pruneBuckets(previous.buckets, e, settings);
  const profiles = pruneVersions(previous.profiles, e);
  // The very state given when nothing moved (most evaluations): the runtime then writes nothing.
  const state: ShareOfWalletState =
    buckets === previous.buckets && profiles === previous.profiles
      ? previous
      : { ...previous, buckets, profiles };
  const profile: ProfileBasis | null = profileAt(state.profiles, e)?.basis ?? null;
  // Copied at the first alert state that moves (most evaluations move none).
  let alerts: Record<string, AlertState> | null = null;
  const found: UnderConsumption[] = [];
  const observations: Observation[] = [];
  const contribution: string[] = [];

  for (const windowDays of settings.windowsDays) {
    const from = e - windowDays * DAY_MS;
    const enoughHistory =
      state.historyStart !== null &&
      e - state.historyStart >= settings.minHistoryWindows * windowDays * DAY_MS;
    if (profile === null) {
      observations.push(outcomeObservation('no-profile', 'none'));
      continue;
    }
    if (profile.kind === 'unusable') {
      observations.push(outcomeObservation(profile.reason, 'none'));
      continue;
    }
    const basis: Basis = profile.kind === 'household' ? 'household-calories' : 'headcount-peer-usage';
    const units = profile.kind === 'household' ? FOOD_ENERGY : settings.usageUnits;
    for (const unit of units) {
      if (!enoughHistory) {
        observations.push(outcomeObservation('insufficient-history', basis));
        continue;
      }
      const actual = Math.max(0, amountBetween(state.buckets, unit, from, e));
      let expected: number;
      // The business estimate's peers and segment, for its wording should an alert fire.
      let business: { peers: { typical: number; peerCount: number }; segment: string } | null = null;
      if (profile.kind === 'household') {
        expected = householdExpected(profile.members, windowDays, settings);
      } else {
        const segment = peerSegmentOf(profile.industry, profile.headcount, settings.sizeBandEdges);
        const fieldPrefix = peerHistogramFieldPrefix(windowDays, unit, segment);
        contribution.push(`${fieldPrefix}${peerCellOf(actual / profile.headcount)}`);
        const key = histogramKey(windowDays, unit, segment);
        const own = view ? ownCellAt(state.contributions, view.boundary, fieldPrefix) : null;
        const peers = typicalUsageOf(view?.histograms[key] ?? NO_PEERS, own, settings.minPeers);
        if (peers === null || peers.typical <= 0) {
          observations.push(
            outcomeObservation(peers === null ? 'no-peer-benchmark' : 'no-peer-usage', basis),
          );
          continue;
        }
        expected = profile.headcount * peers.typical;
        business = { peers, segment };
      }
      observations.push(outcomeObservation('evaluated', basis));
      const share = actual / expected;
      observations.push(shareObservation(basis, windowDays, share));
      const key = alertKeyOf(windowDays, unit);
      const previousAlert = (alerts ?? state.alerts)[key] ?? {
        armed: true,
        lastAlertAt: null,
        belowSince: null,
      };
      const below = share < settings.threshold;
      let current: AlertState = {
        armed: previousAlert.armed || share >= settings.threshold + settings.recoveryBand,
        lastAlertAt: previousAlert.lastAlertAt,
        belowSince: below ? (previousAlert.belowSince ?? e) : null,
      };
      if (
        below &&
        current.armed &&
        e - current.belowSince! >= settings.confirmationMs &&
        (current.lastAlertAt === null || e - current.lastAlertAt >= settings.cooldownMs)
      ) {
        current = { ...current, armed: false, lastAlertAt: e };
        const price = pricePerUnit(state.buckets, unit, from, e);
        const gapUnits = expected - actual;
        const estimate =
          profile.kind === 'household'
            ? householdEstimate(profile.members, windowDays, settings)
            : businessEstimate(profile.headcount, business!.peers, unit, business!.segment, windowDays);
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
      const stored = (alerts ?? state.alerts)[key];
      if (stored === undefined || !sameAlert(stored, current)) {
        alerts ??= { ...state.alerts };
        alerts[key] = current;
      }
    }
  }

  const counters: CounterDelta[] = [];
  const current = state.contributions.at(-1)?.fields ?? [];
  let contributions: readonly PeerContribution[] = state.contributions;
  if (!sameFields(current, contribution)) {
    for (const field of current) counters.push({ field, delta: -1 });
    for (const field of contribution) counters.push({ field, delta: 1 });
    contributions = [...contributions, { at: e, fields: contribution }];
  }
  // A later view (boundary above this one) counts the latest contribution made before it: the
  // one counted at this boundary or a newer one. Older ones can go.
  const boundary = view?.boundary ?? e;
  let lastBefore = 0;
  for (let i = 0; i < contributions.length; i += 1) if (contributions[i]!.at < boundary) lastBefore = i;
  if (lastBefore > 0) contributions = contributions.slice(lastBefore);

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
    state:
      alerts === null && contributions === state.contributions
        ? state
        : { ...state, alerts: alerts ?? state.alerts, contributions },
    outputs,
    timers: [],
    counters,
    observations,
  };
}
