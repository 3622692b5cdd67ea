import { describe, expect, it } from 'vitest';
import type { Interaction } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { sampleInteraction } from './samples.js';
import { validateInteraction } from './validate-interaction.js';

const base = (patch: Partial<Interaction>): Interaction => ({
  ...sampleInteraction(),
  kind: 'APP_SESSION',
  surveyScore: null,
  ...patch,
});
const code = (i: Interaction) => validateInteraction(i)?.reasonCode ?? null;

describe('validateInteraction', () => {
  it('accepts each kind with the field it requires', () => {
    expect(code(sampleInteraction())).toBeNull();
    expect(code(base({}))).toBeNull();
    expect(code(base({ kind: 'COMPLAINT', channel: 'phone' }))).toBeNull();
    expect(code(base({ kind: 'REVIEW', reviewRating: 5 }))).toBeNull();
    expect(code(base({ kind: 'REFERRAL', referredCustomerId: 'c-000999' }))).toBeNull();
    expect(code(base({ kind: 'OFFER_ACCEPTED', offerEventId: 'abc' }))).toBeNull();
    expect(code(base({ kind: 'OFFER_DECLINED', offerEventId: 'abc' }))).toBeNull();
    expect(code(base({ kind: 'PARTNERSHIP_AGREEMENT' }))).toBeNull();
  });

  it('INVALID_FIELD: envelope', () => {
    expect(code(base({ eventId: '' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ customerId: 'c'.repeat(257) }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ occurredAt: Date.UTC(1999, 0, 1) }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ channel: ' ' }))).toBe(ReasonCode.INVALID_FIELD);
  });

  it('MISSING_CUSTOMER_ID: empty or blank customerId (an empty referredCustomerId stays INVALID_FIELD)', () => {
    expect(code(base({ customerId: '' }))).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code(base({ customerId: '  ' }))).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code(base({ kind: 'REFERRAL', referredCustomerId: ' ' }))).toBe(ReasonCode.INVALID_FIELD);
  });

  it('INVALID_FIELD: survey score outside 0-10, rating outside 1-5', () => {
    expect(code(base({ kind: 'SURVEY', surveyScore: 0 }))).toBeNull();
    expect(code(base({ kind: 'SURVEY', surveyScore: 10 }))).toBeNull();
    expect(code(base({ kind: 'SURVEY', surveyScore: 11 }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'SURVEY', surveyScore: -1 }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'REVIEW', reviewRating: 0 }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'REVIEW', reviewRating: 6 }))).toBe(ReasonCode.INVALID_FIELD);
  });

  it('INVALID_FIELD: a required field missing, or a field of another kind set', () => {
    expect(code(base({ kind: 'SURVEY' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'REVIEW' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'REFERRAL' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'OFFER_ACCEPTED' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'COMPLAINT', surveyScore: 3 }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'SURVEY', surveyScore: 9, reviewRating: 5 }))).toBe(ReasonCode.INVALID_FIELD);
  });

  it('INVALID_FIELD: referring oneself or an empty referral', () => {
    expect(code(base({ kind: 'REFERRAL', referredCustomerId: sampleInteraction().customerId }))).toBe(
      ReasonCode.INVALID_FIELD,
    );
    expect(code(base({ kind: 'REFERRAL', referredCustomerId: '' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(base({ kind: 'OFFER_DECLINED', offerEventId: '' }))).toBe(ReasonCode.INVALID_FIELD);
  });
});
