import { describe, expect, it } from 'vitest';
import type { CustomerProfile } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { sampleBusinessProfile, sampleConsumerProfile } from './samples.js';
import { validateCustomerProfile } from './validate-profile.js';

const code = (p: CustomerProfile) => validateCustomerProfile(p)?.reasonCode ?? null;

describe('validateCustomerProfile', () => {
  it('accepts consumers (also with an unknown household) and businesses', () => {
    expect(code(sampleConsumerProfile())).toBeNull();
    expect(code({ ...sampleConsumerProfile(), householdMembers: [], displayName: null })).toBeNull();
    expect(code(sampleBusinessProfile())).toBeNull();
    expect(code({ ...sampleConsumerProfile(), signedUpAt: Date.UTC(1985, 4, 1) })).toBeNull();
  });

  it('accepts a business whose headcount is unknown (valid, but no headcount estimate can use it)', () => {
    const b = sampleBusinessProfile();
    expect(code({ ...b, business: null })).toBeNull();
    expect(code({ ...b, business: { headcount: 0, industry: 'H' } })).toBeNull();
  });

  it('INVALID_FIELD: envelope', () => {
    expect(code({ ...sampleConsumerProfile(), eventId: '' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...sampleConsumerProfile(), customerId: 'c'.repeat(257) })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...sampleConsumerProfile(), occurredAt: 0 })).toBe(ReasonCode.INVALID_FIELD);
  });

  it('MISSING_CUSTOMER_ID: empty or blank customerId, even with other problems', () => {
    expect(code({ ...sampleConsumerProfile(), customerId: '' })).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code({ ...sampleConsumerProfile(), customerId: ' \t' })).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code({ ...sampleConsumerProfile(), customerId: '', eventId: '' })).toBe(
      ReasonCode.MISSING_CUSTOMER_ID,
    );
  });

  it('INVALID_FIELD: sign-up after the profile was recorded, bad country', () => {
    const p = sampleConsumerProfile();
    expect(code({ ...p, signedUpAt: p.occurredAt + 1 })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...p, country: 'Germany' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...p, country: 'de' })).toBe(ReasonCode.INVALID_FIELD);
  });

  it('INVALID_FIELD: business data must match the customer type', () => {
    const b = sampleBusinessProfile();
    expect(code({ ...b, business: { headcount: -1, industry: 'H' } })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...b, business: { headcount: 2.5, industry: 'H' } })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...b, business: { headcount: 5, industry: '' } })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...b, householdMembers: [{ ageBand: 'ADULT_19_64' }] })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...sampleConsumerProfile(), business: { headcount: 3, industry: 'G' } })).toBe(
      ReasonCode.INVALID_FIELD,
    );
    const crowd = Array.from({ length: 51 }, () => ({ ageBand: 'ADULT_19_64' as const }));
    expect(code({ ...sampleConsumerProfile(), householdMembers: crowd })).toBe(ReasonCode.INVALID_FIELD);
  });
});
