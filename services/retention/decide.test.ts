import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Interaction, Purchase } from '../../shared/contracts/generated.js';
import { sampleInteraction, samplePurchase } from '../../shared/contracts/samples.js';
import type { DecisionContext } from '../../shared/runtime/worker-definition.js';
import { decideInteraction, decidePurchase, type RetentionContext } from './decide.js';
import type { RetentionView } from './fit-view.js';
import { defaultLadderSettings } from './ladder/ladder-settings.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { DAY_MS, retentionSettings } from './settings.js';
import { emptyRetentionState, type RetentionState } from './state.js';

const policy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'policy',
);
const rc: RetentionContext = {
  settings: retentionSettings(),
  policy,
  ladder: defaultLadderSettings,
  partitionCount: 12,
};
const day = (n: number) => Date.UTC(2024, 0, 1) + n * DAY_MS + 12 * 3_600_000;
const ctxAt = (t: number): DecisionContext<RetentionView> => ({
  streamTime: t,
  partition: 0,
  population: null,
  causationId: `purchases/0/${t}`,
  eventId: (kind, n = 0) => `${kind}-${t}-${n}`,
  counter: () => 0,
});
const sale = (customerId: string, t: number, minor: number): Purchase => ({
  ...samplePurchase(),
  customerId,
  occurredAt: t,
  lines: [{ ...samplePurchase().lines[0]!, quantity: 1, unitPriceMinor: minor }],
});
/** A customer of the top tier with consent whose id is not in the holdout. */
const consenting: RetentionState = { ...emptyRetentionState, consent: true, valueTier: 'middle' };

describe('retention decisions', () => {
  it('a purchase after a steep fall in spend makes the customer at risk (spend-decline)', () => {
    let state: RetentionState | null = consenting;
    for (const [n, minor] of [
      [0, 20_000],
      [40, 20_000],
      [100, 3_000],
    ] as const) {
      const decision = decidePurchase(state, sale('c-7', day(n), minor), ctxAt(day(n)), rc);
      state = decision.state;
      if (n < 150) expect(decision.outputs.filter((o) => o.topic === 'retention-offers')).toEqual([]);
      else {
        const offers = decision.outputs.filter((o) => o.topic === 'retention-offers');
        expect(offers).toHaveLength(1);
        expect(offers[0]!.value).toMatchObject({
          reasons: ['spend-decline'],
          riskScore: 0.5,
          valueTier: 'middle',
        });
        expect(state!.atRisk).toEqual({ since: day(150), reasons: ['spend-decline'] });
      }
    }
  });

  it('a complaint raises risk at once; a session does not', () => {
    const interaction = (kind: Interaction['kind']): Interaction => ({
      ...sampleInteraction(),
      customerId: 'c-7',
      occurredAt: day(10),
      kind,
      surveyScore: null,
      reviewRating: null,
      referredCustomerId: null,
      offerEventId: null,
    });
    const complaint = decideInteraction(consenting, interaction('COMPLAINT'), 'c-7', ctxAt(day(10)), rc);
    expect(
      complaint.outputs.filter((o) => o.topic === 'retention-offers').map((o) => o.value.reasons),
    ).toEqual([['dissatisfaction']]);
    const session = decideInteraction(consenting, interaction('APP_SESSION'), 'c-7', ctxAt(day(10)), rc);
    expect(session.outputs.filter((o) => o.topic === 'retention-offers')).toEqual([]);
  });
});
