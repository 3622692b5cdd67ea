import { describe, expect, it } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { posCustomerProfile, SimulatorStream } from './cli.js';
import { PurchaseSimulation } from './generate.js';

describe('profiles for point-of-sale customers (--pos-profiles)', () => {
  it('emits one valid profile before each customer’s first purchase, with consent for about 70 %', () => {
    const sim = new PurchaseSimulation({ seed: 4, customers: 400, events: 3000, malformedShare: 0 });
    const stream = new SimulatorStream(sim, null, { purchases: 'p', profiles: 'q' }, true);
    const seen = new Set<string>();
    const codec = codecFor('CustomerProfile');
    let consent = 0;
    for (let r = stream.next(); r; r = stream.next()) {
      if (r.topic === 'q') {
        expect(seen.has(r.key)).toBe(false);
        seen.add(r.key);
        const profile = codec.decode(r.value);
        expect(validateCustomerProfile(profile)).toBeNull();
        if (profile.marketingConsent) consent += 1;
      } else {
        expect(seen.has(r.key), 'a profile precedes the first purchase').toBe(true);
      }
    }
    expect(seen.size).toBeGreaterThan(300);
    expect(consent / seen.size).toBeGreaterThan(0.6);
    expect(consent / seen.size).toBeLessThan(0.8);
    expect(posCustomerProfile('c-1', 1)).toEqual(posCustomerProfile('c-1', 1));
  });
});
