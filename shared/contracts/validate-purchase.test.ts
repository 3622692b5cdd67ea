import { describe, expect, it } from 'vitest';
import { codecFor } from '../avro/codec.js';
import type { Purchase } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { samplePurchase, sampleReturn } from './samples.js';
import { MAX_AMOUNT_MINOR, purchaseAmountMinor, validatePurchase } from './validate-purchase.js';

const withLine = (patch: Partial<Purchase['lines'][number]>, index = 0): Purchase => {
  const p = samplePurchase();
  p.lines[index] = { ...p.lines[index]!, ...patch };
  return p;
};
const code = (p: Purchase, options = {}) => validatePurchase(p, options)?.reasonCode ?? null;

describe('validatePurchase', () => {
  it('accepts a sale and a return (with positive quantities)', () => {
    expect(validatePurchase(samplePurchase())).toBeNull();
    expect(validatePurchase(sampleReturn())).toBeNull();
    expect(validatePurchase({ ...sampleReturn(), returnOfEventId: null })).toBeNull();
  });

  it('INVALID_FIELD: empty or blank eventId, over-long customerId', () => {
    expect(code({ ...samplePurchase(), eventId: '' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...samplePurchase(), eventId: ' ' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...samplePurchase(), customerId: 'c'.repeat(257) })).toBe(ReasonCode.INVALID_FIELD);
  });

  it('MISSING_CUSTOMER_ID: empty or blank customerId, before any other problem', () => {
    expect(code({ ...samplePurchase(), customerId: '' })).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code({ ...samplePurchase(), customerId: '   ' })).toBe(ReasonCode.MISSING_CUSTOMER_ID);
    expect(code({ ...samplePurchase(), customerId: '', currency: 'ZZZ', eventId: '' })).toBe(
      ReasonCode.MISSING_CUSTOMER_ID,
    );
  });

  it('NEGATIVE_QUANTITY on a sale: zero or negative quantity', () => {
    expect(samplePurchase().kind).toBe('SALE');
    expect(code(withLine({ quantity: -3 }))).toBe(ReasonCode.NEGATIVE_QUANTITY);
    expect(code(withLine({ quantity: 0 }))).toBe(ReasonCode.NEGATIVE_QUANTITY);
  });

  it('INVALID_FIELD: occurredAt before 2000-01-01 (e.g. seconds instead of milliseconds)', () => {
    expect(code({ ...samplePurchase(), occurredAt: Date.UTC(1999, 11, 31, 23, 59, 59, 999) })).toBe(
      ReasonCode.INVALID_FIELD,
    );
    expect(code({ ...samplePurchase(), occurredAt: Math.floor(Date.UTC(2024, 0, 1) / 1000) })).toBe(
      ReasonCode.INVALID_FIELD,
    );
    expect(code({ ...samplePurchase(), occurredAt: Date.UTC(2000, 0, 1) })).toBeNull();
  });

  it('does not check event time against any clock unless given a bound', () => {
    const farFuture = { ...samplePurchase(), occurredAt: Date.UTC(2090, 0, 1) };
    expect(code(farFuture)).toBeNull();
    expect(code(farFuture, { nowBoundMs: Date.UTC(2030, 0, 1) })).toBe(ReasonCode.FUTURE_EVENT);
  });

  it('UNKNOWN_CURRENCY: not an active ISO 4217 code', () => {
    for (const currency of ['ZZZ', 'eur', 'EURO', '', 'XXX', 'HRK']) {
      expect(code({ ...samplePurchase(), currency }), currency).toBe(ReasonCode.UNKNOWN_CURRENCY);
    }
    for (const currency of ['EUR', 'USD', 'JPY', 'KWD', 'GBP']) {
      expect(code({ ...samplePurchase(), currency }), currency).toBeNull();
    }
  });

  it('CURRENCY_MISMATCH: a valid currency other than the value currency', () => {
    expect(code({ ...samplePurchase(), currency: 'USD' }, { valueCurrency: 'EUR' })).toBe(
      ReasonCode.CURRENCY_MISMATCH,
    );
    expect(code(samplePurchase(), { valueCurrency: 'EUR' })).toBeNull();
    expect(code({ ...samplePurchase(), currency: 'ZZZ' }, { valueCurrency: 'EUR' })).toBe(
      ReasonCode.UNKNOWN_CURRENCY,
    );
  });

  it('NEGATIVE_QUANTITY: quantity <= 0, for sales and returns', () => {
    expect(code(withLine({ quantity: 0 }))).toBe(ReasonCode.NEGATIVE_QUANTITY);
    expect(code(withLine({ quantity: -1 }, 1))).toBe(ReasonCode.NEGATIVE_QUANTITY);
    const ret = sampleReturn();
    ret.lines[0] = { ...ret.lines[0]!, quantity: -1 };
    expect(code(ret)).toBe(ReasonCode.NEGATIVE_QUANTITY);
  });

  it('ABSURD_AMOUNT: negative unit price, line amount or total above 10^12 minor units', () => {
    expect(code(withLine({ unitPriceMinor: -1 }))).toBe(ReasonCode.ABSURD_AMOUNT);
    expect(code(withLine({ unitPriceMinor: MAX_AMOUNT_MINOR + 1, quantity: 1 }))).toBe(
      ReasonCode.ABSURD_AMOUNT,
    );
    expect(code(withLine({ unitPriceMinor: MAX_AMOUNT_MINOR / 2 + 1, quantity: 2 }))).toBe(
      ReasonCode.ABSURD_AMOUNT,
    );
    const atLimit = withLine({ unitPriceMinor: MAX_AMOUNT_MINOR, quantity: 1, marginMinor: 0 });
    expect(code({ ...atLimit, lines: atLimit.lines.slice(0, 1) })).toBeNull();
    const twoBig = samplePurchase();
    twoBig.lines = twoBig.lines.map((l) => ({ ...l, quantity: 1, unitPriceMinor: MAX_AMOUNT_MINOR * 0.6 }));
    expect(validatePurchase(twoBig)).toEqual({
      reasonCode: ReasonCode.ABSURD_AMOUNT,
      message: `total exceeds ${MAX_AMOUNT_MINOR} minor units`,
    });
    expect(code(withLine({ marginMinor: -(MAX_AMOUNT_MINOR + 1) }))).toBe(ReasonCode.ABSURD_AMOUNT);
    expect(code(withLine({ unitPriceMinor: 0 }))).toBeNull(); // free items are fine
  });

  it('TOO_MANY_LINES: more than 500 lines', () => {
    const line = samplePurchase().lines[0]!;
    expect(code({ ...samplePurchase(), lines: Array.from({ length: 500 }, () => line) })).toBeNull();
    expect(code({ ...samplePurchase(), lines: Array.from({ length: 501 }, () => line) })).toBe(
      ReasonCode.TOO_MANY_LINES,
    );
  });

  it('INVALID_FIELD: other contract breaks', () => {
    expect(code({ ...samplePurchase(), lines: [] })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...samplePurchase(), channel: '' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...samplePurchase(), returnOfEventId: 'pos-0000' })).toBe(ReasonCode.INVALID_FIELD);
    expect(code({ ...sampleReturn(), returnOfEventId: sampleReturn().eventId })).toBe(
      ReasonCode.INVALID_FIELD,
    );
    expect(code(withLine({ sku: '' }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(withLine({ kcalPerUnit: Number.NaN }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(withLine({ kcalPerUnit: -5 }))).toBe(ReasonCode.INVALID_FIELD);
    expect(code(withLine({ usage: { unit: 'GB', amountPerUnit: Number.POSITIVE_INFINITY } }, 1))).toBe(
      ReasonCode.INVALID_FIELD,
    );
  });

  it('keeps personal data and field values out of messages', () => {
    const p = { ...samplePurchase(), customerId: 'c-SECRET', currency: 'S3CRET'.slice(0, 3) };
    const r = validatePurchase({ ...p, lines: [{ ...p.lines[0]!, sku: 'SKU-SECRET', quantity: -7 }] });
    expect(r?.message).not.toMatch(/SECRET|S3C|-7/);
  });

  it('validates what the Avro codec decodes', () => {
    const codec = codecFor('Purchase');
    expect(validatePurchase(codec.decode(codec.encode(samplePurchase())))).toBeNull();
  });
});

describe('purchaseAmountMinor', () => {
  it('is positive for sales and negative for returns', () => {
    expect(purchaseAmountMinor(samplePurchase())).toBe(2 * 119 + 1499);
    expect(purchaseAmountMinor(sampleReturn())).toBe(-119);
  });
});
