import { describe, expect, it } from 'vitest';
import type { DecisionContext } from '../../shared/runtime/worker-definition.js';
import { basketField } from './basket-key.js';
import { type CountedBasket, EXPIRE_BASKETS, leavesEveryWindowAt } from './counted-baskets.js';
import { decideTimer, STEP_DUE } from './decide.js';
import { DAY_MS, defaultNextBestOfferSettings } from './settings.js';
import { emptyNextBestOfferState, type NextBestOfferState } from './state.js';
import type { NextBestOfferView } from './view.js';

// Expiry and due steps are both timers at midnights, so they often come due at the same instant.
// The runtime fires them in kind order (expiry first) and fires only timers still set when their
// turn comes: an expiry that moved the customer's step timer would drop the step due then.

const settings = { ...defaultNextBestOfferSettings, basketWindowDays: 14 };
const day = 20_000;
const basket: CountedBasket = { day, field: basketField(day, ['prepaid']), lines: [] };
const expiresAt = leavesEveryWindowAt(day, settings.basketWindowDays);

function viewWithStep(gapDays: number): NextBestOfferView {
  return {
    boundary: expiresAt - DAY_MS,
    baskets: 10,
    rulesByLength: {},
    rulesMined: 0,
    rules: [],
    steps: [
      {
        from: 'prepaid',
        to: 'contract',
        customers: 5,
        lift: 4,
        customersWithFrom: 10,
        share: 0.5,
        typicalGapDays: gapDays,
      },
    ],
    economics: [],
    malformedFields: 0,
  };
}

function contextAt(now: number, view: NextBestOfferView): DecisionContext<NextBestOfferView> {
  return {
    streamTime: now,
    partition: 0,
    population: view,
    causationId: `timer/0/${EXPIRE_BASKETS}/c/${now}`,
    eventId: (kind) => `${kind}-${now}`,
    counter: () => 0,
  };
}

describe('next-best-offer timers', () => {
  it('an expiry leaves a step due at the same instant to fire', () => {
    // The first prepaid purchase was on `day`; the step to a contract is due gap days later,
    // exactly when the basket leaves every window.
    const gap = settings.basketWindowDays + 1;
    const state: NextBestOfferState = {
      ...emptyNextBestOfferState,
      baskets: [basket],
      sequence: { firstDays: [['prepaid', day]] },
      lastBought: [['prepaid', day]],
      consent: true,
      tier: 'top',
    };
    const decision = decideTimer(
      state,
      { kind: EXPIRE_BASKETS, customerId: 'c', dueAt: expiresAt },
      contextAt(expiresAt, viewWithStep(gap)),
      settings,
    );
    expect(decision.state?.baskets).toEqual([]);
    expect(decision.timers).toContainEqual({ kind: EXPIRE_BASKETS, dueAt: null });
    // The step timer (due now) is not moved: it still fires at this instant.
    for (const timer of decision.timers.filter((t) => t.kind === STEP_DUE))
      expect(timer.dueAt).toBe(expiresAt);
  });
});
