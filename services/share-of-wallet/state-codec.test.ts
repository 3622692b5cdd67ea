import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgeBand } from '../../shared/contracts/generated.js';
import {
  anyNumber,
  anyText,
  anyTime,
  checkCompactCodec,
} from '../../test/support/compact-state-properties.js';
import type { DayBucket } from './consumption.js';
import type { ProfileBasis } from './profile.js';
import type { ShareOfWalletState } from './state.js';
import { decodeState, encodeState } from './state-codec.js';

const textArb = anyText('kcal', 'GB', 'minutes', '28:GB', 'p:28:GB:retail%7C1-9:37');
const boughtArb = fc.tuple(anyNumber, anyNumber);
const bucketArb: fc.Arbitrary<DayBucket> = fc.record({
  day: anyTime,
  kcal: boughtArb,
  usage: fc.dictionary(textArb, boughtArb, { maxKeys: 3 }),
});
const basisArb: fc.Arbitrary<ProfileBasis> = fc.oneof(
  fc.record({
    kind: fc.constant('household' as const),
    members: fc.dictionary(fc.constantFrom(...AgeBand), fc.integer({ min: 0, max: 20 })),
  }),
  fc.record({ kind: fc.constant('business' as const), headcount: anyNumber, industry: textArb }),
  fc.record({
    kind: fc.constant('unusable' as const),
    reason: fc.constantFrom('empty-household' as const, 'missing-headcount' as const),
  }),
);
const stateArb: fc.Arbitrary<ShareOfWalletState> = fc.record({
  historyStart: fc.option(anyTime),
  buckets: fc.array(bucketArb, { maxLength: 5 }),
  profiles: fc.array(fc.record({ effectiveAt: anyTime, basis: basisArb }), { maxLength: 3 }),
  alerts: fc.dictionary(
    textArb,
    fc.record({ armed: fc.boolean(), lastAlertAt: fc.option(anyTime), belowSince: fc.option(anyTime) }),
    { maxKeys: 4 },
  ),
  contributions: fc.array(fc.record({ at: anyTime, fields: fc.array(textArb, { maxLength: 4 }) }), {
    maxLength: 3,
  }),
  valueTier: fc.option(fc.oneof(fc.constantFrom('top2', 'top', 'middle', 'bottom'), textArb)),
});

describe('share-of-wallet state codec', () => {
  it('decodes what it encodes exactly as JSON would, re-encodes it alike, and reads JSON of an earlier release', () => {
    checkCompactCodec(stateArb, { encodeState, decodeState });
  });

  it('writes a household of the simulator in under a quarter of its JSON (94 B for 391 B)', () => {
    // A customer of `npm run bench:memory -- --workers share-of-wallet` (100,000 slots), as stored.
    const json =
      '{"historyStart":1721336818774,"buckets":[{"day":1729209600000,"kcal":[7990,3132],"usage":{"GB":[2,1000]}},{"day":1732838400000,"kcal":[7170,2910],"usage":{}}],"profiles":[{"effectiveAt":1721336818774,"basis":{"kind":"household","members":{"ADULT_19_64":2}}}],"alerts":{"28:kcal":{"armed":false,"lastAlertAt":1727395200000,"belowSince":1726185600000}},"contributions":[],"valueTier":"bottom"}';
    const compact = encodeState(decodeState(json));
    expect(compact).toBe(
      '1;lyrrhxsm;b;@ffy,65y,2f0,GB:2:rs|@fh4,5j6,28u;lyrrhxsm,h,ADULT_19_64:2;28%3Akcal,0,@ffd,@fez;',
    );
    expect(compact.length).toBeLessThan(json.length / 4);
    expect(decodeState(compact)).toStrictEqual(JSON.parse(json));
  });

  it('refuses a text that is neither form, naming what is wrong', () => {
    expect(() => decodeState('2;;;;;;')).toThrow(/malformed layout/);
    expect(() => decodeState('1;;x;;;;')).toThrow(/malformed value tier/);
    expect(() => decodeState('1;;;@fmo,zz!,1;;;')).toThrow(/malformed number/);
    expect(() => decodeState('1;;;;lyrt9nja,q;;')).toThrow(/malformed profile/);
    expect(() => decodeState('1;;;;;k,2,,;')).toThrow(/malformed alert/);
    expect(() => decodeState('1;;;;;;,a')).toThrow(/malformed time/);
  });
});
