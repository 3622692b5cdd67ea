import { describe, expect, it } from 'vitest';
import type { DecisionContext } from '../../shared/runtime/worker-definition.js';
import type { DayBucket } from './consumption.js';
import { evaluateCustomer, OUTCOME_METRIC, SHARE_METRIC } from './evaluate.js';
import { peerCellOf, peerCounterField, representativeOf } from './peer-segment.js';
import type { PeerView } from './peer-view.js';
import type { ProfileBasis } from './profile.js';
import { DAY_MS, shareOfWalletSettings } from './settings.js';
import { emptyState, type ShareOfWalletState } from './state.js';

const T0 = Date.UTC(2024, 0, 1);

const settings = shareOfWalletSettings({ windowsDays: [28], cooldownMs: 28 * DAY_MS, confirmationMs: 0 });
// Two adults: 2 × 2300 kcal × 0.65 = 2990 kcal a day; 28 days: 83,720 kcal.
const NEED_28 = 2990 * 28;
const at = (dayNumber: number) => T0 + dayNumber * DAY_MS;

function ctxAt(
  e: number,
  view: PeerView | null = { boundary: e - DAY_MS, histograms: {} },
): DecisionContext<PeerView> {
  return {
    streamTime: e,
    partition: 0,
    population: view,
    causationId: `population/0/${e - DAY_MS}/c`,
    eventId: (kind, n = 0) => `${kind}-${e}-${n}`,
    counter: () => 0,
  };
}

function withProfile(basis: ProfileBasis, buckets: DayBucket[] = []): ShareOfWalletState {
  return { ...emptyState(T0), profiles: [{ effectiveAt: T0, basis }], buckets };
}

const couple: ProfileBasis = { kind: 'household', members: { ADULT_19_64: 2 } };

/** Food bought evenly so that the 28-day window before `e` holds `share` of the need. */
function foodBuckets(e: number, share: number): DayBucket[] {
  const perDay = (share * NEED_28) / 28;
  return Array.from({ length: 28 }, (_, i) => ({
    day: e - (28 - i) * DAY_MS,
    kcal: [perDay, perDay / 10] as const,
    usage: {},
  }));
}

function outcomes(decision: ReturnType<typeof evaluateCustomer>) {
  return (decision.observations ?? [])
    .filter((o) => o.metric === OUTCOME_METRIC)
    .map((o) => o.labels.outcome);
}

describe('household basis', () => {
  it('expects members × kcal per day × days × grocer share, and alerts below the threshold', () => {
    const e = at(60);
    const decision = evaluateCustomer(withProfile(couple, foodBuckets(e, 0.4)), 'c-1', ctxAt(e), settings);
    expect(decision.outputs).toHaveLength(1);
    const alert = decision.outputs[0]!.value as Record<string, unknown>;
    expect(alert.basis).toBe('household-calories');
    expect(alert.unit).toBe('kcal');
    expect(alert.expected).toBeCloseTo(NEED_28, 6);
    expect(alert.actual).toBeCloseTo(0.4 * NEED_28, 6);
    expect(alert.share).toBeCloseTo(0.4, 9);
    expect(alert.gapUnits).toBeCloseTo(0.6 * NEED_28, 6);
    // Price: 1/10 minor unit per kcal; the gap of 50,232 kcal is worth 5,023 minor units.
    expect(alert.gapMinor).toBe(Math.round(0.6 * NEED_28 * 0.1));
    expect(alert.window).toEqual({ windowDays: 28, windowStart: e - 28 * DAY_MS, windowEnd: e });
    expect(alert.peerCount).toBeNull();
    expect(alert.basisDetail).toContain('2 x ADULT_19_64 2300 kcal');
    expect(decision.outputs[0]!.decisionLabel).toBe('household-calories');
    expect(decision.observations).toContainEqual({
      metric: SHARE_METRIC,
      value: decision.observations!.find((o) => o.metric === SHARE_METRIC)!.value,
      labels: { basis: 'household-calories', window: '28' },
    });
  });

  it('weights each age band by its own need', () => {
    const family: ProfileBasis = { kind: 'household', members: { ADULT_19_64: 1, CHILD_4_8: 2 } };
    const e = at(60);
    const alert = evaluateCustomer(withProfile(family), 'c-1', ctxAt(e), settings).outputs[0]!
      .value as Record<string, number>;
    expect(alert.expected).toBeCloseTo((2300 + 2 * 1500) * 28 * 0.65, 6);
    expect(alert.actual).toBe(0);
    expect(alert.gapMinor).toBe(0); // nothing ever bought: no price known
  });

  it('does not alert at or above the threshold, nor without two windows of history', () => {
    const e = at(60);
    expect(
      evaluateCustomer(withProfile(couple, foodBuckets(e, 0.6)), 'c', ctxAt(e), settings).outputs,
    ).toEqual([]);
    const young = { ...withProfile(couple), historyStart: e - 56 * DAY_MS + 1 };
    const decision = evaluateCustomer(young, 'c', ctxAt(e), settings);
    expect(decision.outputs).toEqual([]);
    expect(outcomes(decision)).toEqual(['insufficient-history']);
    const oldEnough = { ...withProfile(couple), historyStart: e - 56 * DAY_MS };
    expect(evaluateCustomer(oldEnough, 'c', ctxAt(e), settings).outputs).toHaveLength(1);
  });

  it('uses the profile version in force at the evaluation', () => {
    const e = at(60);
    const state: ShareOfWalletState = {
      ...withProfile(couple, foodBuckets(e, 0.5)),
      profiles: [
        { effectiveAt: T0, basis: couple },
        { effectiveAt: e + 1, basis: { kind: 'household', members: { ADULT_19_64: 1 } } },
      ],
    };
    const alert = evaluateCustomer(state, 'c', ctxAt(e), settings).outputs[0]!.value as Record<
      string,
      number
    >;
    expect(alert.expected).toBeCloseTo(NEED_28, 6);
  });
});

/** Successive evaluations of one couple, each with food buying at a given share of the need. */
function evaluationsOf(evaluationSettings: typeof settings) {
  let state = withProfile(couple);
  const run = (dayNumber: number, share: number) => {
    const e = at(dayNumber);
    const decision = evaluateCustomer(
      { ...state, buckets: foodBuckets(e, share) },
      'c',
      ctxAt(e),
      evaluationSettings,
    );
    state = decision.state!;
    return decision.outputs.length;
  };
  return { run, stateNow: () => state };
}

describe('hysteresis and cooldown', () => {
  it('alerts once, re-arms only at threshold + band, and waits out the cooldown', () => {
    const { run, stateNow } = evaluationsOf(settings);
    expect(run(60, 0.3)).toBe(1); // alert; disarmed
    expect(run(61, 0.3)).toBe(0); // still low: no repeat
    expect(run(62, 0.65)).toBe(0); // above threshold, below threshold + band: stays disarmed
    expect(run(100, 0.5)).toBe(0); // cooldown over, but never recovered
    expect(run(101, 0.7)).toBe(0); // recovered (0.7 = 0.6 + 0.1): re-armed
    expect(stateNow().alerts['28:kcal']).toMatchObject({ armed: true, lastAlertAt: at(60) });
    expect(run(102, 0.2)).toBe(1); // low again, cooldown (28 d since day 60) long over
    expect(run(103, 0.9)).toBe(0); // recovered, re-armed
    expect(run(120, 0.2)).toBe(0); // within 28 days of the alert on day 102: cooldown
    expect(stateNow().alerts['28:kcal']).toMatchObject({ armed: true, lastAlertAt: at(102) });
    expect(run(129, 0.2)).toBe(0); // 27 days after: still cooling down, still armed
    expect(run(130, 0.2)).toBe(1); // 28 days after: alert
    expect(stateNow().alerts['28:kcal']).toMatchObject({ armed: false, lastAlertAt: at(130) });
  });

  it('alerts only once the share has stayed below the threshold for the confirmation period', () => {
    const confirming = shareOfWalletSettings({ windowsDays: [28], confirmationMs: 14 * DAY_MS });
    const { run, stateNow } = evaluationsOf(confirming);
    expect(run(60, 0.5)).toBe(0); // below since day 60
    expect(run(70, 0.5)).toBe(0); // 10 days
    expect(run(73, 0.62)).toBe(0); // back at the threshold: the run ends
    expect(stateNow().alerts['28:kcal']!.belowSince).toBeNull();
    expect(run(74, 0.5)).toBe(0); // a new run starts on day 74
    expect(run(87, 0.5)).toBe(0); // 13 days
    expect(run(88, 0.5)).toBe(1); // 14 days below: alert
    expect(stateNow().alerts['28:kcal']).toEqual({ armed: false, lastAlertAt: at(88), belowSince: at(74) });
  });

  it('keeps one alert state per window', () => {
    const two = shareOfWalletSettings({ windowsDays: [28, 91], confirmationMs: 0 });
    const e = at(200);
    const decision = evaluateCustomer(withProfile(couple), 'c', ctxAt(e), two);
    expect(
      decision.outputs.map((o) => (o.value as { window: { windowDays: number } }).window.windowDays),
    ).toEqual([28, 91]);
    expect(decision.outputs.map((o) => o.eventId)).toEqual([
      `under-consumption-${e}-0`,
      `under-consumption-${e}-1`,
    ]);
    expect(Object.keys(decision.state!.alerts).sort()).toEqual(['28:kcal', '91:kcal']);
  });
});

describe('the state an evaluation returns', () => {
  it('is the very state given when nothing moved, a new one when an alert state or a kept day moves', () => {
    const two = shareOfWalletSettings({ windowsDays: [28, 91], confirmationMs: 7 * DAY_MS });
    const e = at(200);
    // First evaluation below the threshold: each window's run below starts (a change).
    const first = evaluateCustomer(withProfile(couple, foodBuckets(e, 0.3)), 'c', ctxAt(e), two);
    expect(first.state!.alerts['28:kcal']).toMatchObject({ belowSince: e });
    // The next day nothing moves that the state keeps: the same object, which the runtime does
    // not write (shared/runtime/segment.ts).
    const next = evaluateCustomer(first.state!, 'c', ctxAt(e + DAY_MS), two);
    expect(next.state).toBe(first.state);
    // A week later the confirmation is over: alerts, their state moves.
    const alerted = evaluateCustomer(next.state!, 'c', ctxAt(e + 7 * DAY_MS), two);
    expect(alerted.outputs.length).toBeGreaterThan(0);
    expect(alerted.state).not.toBe(next.state);
    // The oldest kept day leaves the largest window: a new state without it.
    const later = e + 91 * DAY_MS;
    const pruned = evaluateCustomer(alerted.state!, 'c', ctxAt(later), two);
    expect(pruned.state).not.toBe(alerted.state);
    expect(pruned.state!.buckets.length).toBeLessThan(alerted.state!.buckets.length);
  });
});

describe('missing or unusable profile', () => {
  const e = at(60);
  it('no profile: no alert, counted as no-profile', () => {
    const decision = evaluateCustomer(
      { ...emptyState(T0), buckets: foodBuckets(e, 0.1) },
      'c',
      ctxAt(e),
      settings,
    );
    expect(decision.outputs).toEqual([]);
    expect(outcomes(decision)).toEqual(['no-profile']);
  });

  it('a household of nobody and a business without headcount are counted by reason', () => {
    const empty = evaluateCustomer(
      withProfile({ kind: 'unusable', reason: 'empty-household' }),
      'c',
      ctxAt(e),
      settings,
    );
    expect(empty.outputs).toEqual([]);
    expect(outcomes(empty)).toEqual(['empty-household']);
    const noHeadcount = evaluateCustomer(
      withProfile({ kind: 'unusable', reason: 'missing-headcount' }),
      'c',
      ctxAt(e),
      settings,
    );
    expect(outcomes(noHeadcount)).toEqual(['missing-headcount']);
    expect(noHeadcount.counters).toEqual([]);
  });

  it('a profile that starts after the evaluation is not in force yet', () => {
    const later: ShareOfWalletState = {
      ...emptyState(T0),
      profiles: [{ effectiveAt: e + 1, basis: couple }],
    };
    expect(outcomes(evaluateCustomer(later, 'c', ctxAt(e), settings))).toEqual(['no-profile']);
  });

  it('forgets a customer with neither profile nor purchases left', () => {
    const decision = evaluateCustomer(
      { ...emptyState(T0), buckets: [{ day: at(1), kcal: [10, 1], usage: {} }] },
      'c',
      ctxAt(at(60)),
      settings,
    );
    expect(decision.state).toBeNull();
    expect(decision.indexScore).toBeNull();
  });
});

describe('business basis', () => {
  const retail: ProfileBasis = { kind: 'business', headcount: 20, industry: ' Retail ' };
  const e = at(60);
  const minutesFor = (perEmployee: number): DayBucket[] => [
    { day: e - 10 * DAY_MS, kcal: [0, 0], usage: { minutes: [perEmployee * 20, perEmployee * 20 * 5] } },
  ];
  const peers = (values: number[]): PeerView => {
    const cells = new Map<string | number, number>();
    for (const v of values) cells.set(peerCellOf(v), (cells.get(peerCellOf(v)) ?? 0) + 1);
    return {
      boundary: e - DAY_MS,
      histograms: { '28:minutes:retail|10-49': [...cells] as Array<['z' | number, number]> },
    };
  };

  it('expects headcount × the lower median of its peers, and records the peer statistics', () => {
    const view = peers([100, 110, 120, 130, 140]);
    const decision = evaluateCustomer(withProfile(retail, minutesFor(40)), 'c', ctxAt(e, view), settings);
    expect(decision.outputs).toHaveLength(1);
    const alert = decision.outputs[0]!.value as Record<string, number | string>;
    // Five peers: rank ceil(5/2) = 3, the cell of 120.
    expect(alert.peerCount).toBe(5);
    expect(alert.peerUsagePerEmployee).toBe(representativeOf(peerCellOf(120)));
    expect(Math.abs((alert.peerUsagePerEmployee as number) / 120 - 1)).toBeLessThan(0.011);
    expect(alert.expected).toBeCloseTo(20 * (alert.peerUsagePerEmployee as number), 9);
    expect(alert.actual).toBe(800);
    expect(alert.unit).toBe('minutes');
    expect(alert.basis).toBe('headcount-peer-usage');
    expect(alert.gapMinor).toBe(Math.round((alert.gapUnits as number) * 5));
    // GB: no peer histogram at all.
    expect(outcomes(decision)).toEqual(['evaluated', 'no-peer-benchmark']);
  });

  it('needs the minimum number of peers, itself excluded', () => {
    const five = peers([100, 110, 120, 130, 40]);
    // The customer itself (40 per employee) was counted at the boundary: four peers are left.
    const counted = {
      ...withProfile(retail, minutesFor(40)),
      contributions: [
        { at: e - 2 * DAY_MS, fields: [peerCounterField(28, 'minutes', 'retail|10-49', peerCellOf(40))] },
      ],
    };
    const decision = evaluateCustomer(counted, 'c', ctxAt(e, five), settings);
    expect(decision.outputs).toEqual([]);
    expect(outcomes(decision)[0]).toBe('no-peer-benchmark');
    // Counted only after the boundary: the view did not hold it, five peers remain.
    const notYet = { ...counted, contributions: [{ ...counted.contributions[0]!, at: e - DAY_MS }] };
    expect(evaluateCustomer(notYet, 'c', ctxAt(e, five), settings).outputs).toHaveLength(1);
  });

  it('does not alert when peers use nothing of a unit', () => {
    const decision = evaluateCustomer(withProfile(retail), 'c', ctxAt(e, peers([0, 0, 0, 5, 9])), settings);
    expect(decision.outputs).toEqual([]);
    expect(outcomes(decision)[0]).toBe('no-peer-usage');
  });

  it('moves its own contribution between cells as its usage changes', () => {
    const first = evaluateCustomer(withProfile(retail, minutesFor(40)), 'c', ctxAt(e), settings);
    const field40 = peerCounterField(28, 'minutes', 'retail|10-49', peerCellOf(40));
    const gb0 = peerCounterField(28, 'GB', 'retail|10-49', 'z');
    expect(first.counters).toEqual([
      { field: field40, delta: 1 },
      { field: gb0, delta: 1 },
    ]);
    const e2 = e + DAY_MS;
    const second = evaluateCustomer({ ...first.state!, buckets: minutesFor(80) }, 'c', ctxAt(e2), settings);
    expect(second.counters).toContainEqual({ field: field40, delta: -1 });
    expect(second.counters).toContainEqual({
      field: peerCounterField(28, 'minutes', 'retail|10-49', peerCellOf(80)),
      delta: 1,
    });
    // Unchanged usage: no counter traffic.
    const third = evaluateCustomer(second.state!, 'c', ctxAt(e2 + DAY_MS), settings);
    expect(third.counters).toEqual([]);
  });
});
