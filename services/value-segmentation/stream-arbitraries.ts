// fast-check arbitraries of whole purchase streams, shared by the property tests that drive a
// partition through the in-memory runtime (decide.properties, forget.properties).

import fc from 'fast-check';
import { DAY_MS, type ValueSegmentationSettings, valueSegmentationSettings } from './settings.js';

export const HOUR_MS = 3_600_000;

/** Window sets that age out within a stream, with and without a publish delay, lateness and cost to serve. */
export const settingsArb = fc.constantFrom<ValueSegmentationSettings>(
  valueSegmentationSettings({ windowsDays: [2, 5, 10], rankingWindowDays: 5, bucketWidthMs: 6 * HOUR_MS }),
  valueSegmentationSettings({ windowsDays: [3, 7], rankingWindowDays: 7, publishDelayMs: 0, top2Share: 0.1 }),
  valueSegmentationSettings({
    windowsDays: [1, 4],
    rankingWindowDays: 1,
    allowedLatenessMs: 2 * DAY_MS,
    costToServeMinor: 100,
  }),
);

/** One record of a stream: a customer (0..maxCustomer), how far time moves, how late it is, its value. */
export function streamRecordArb(maxCustomer: number, valueMinor: fc.Arbitrary<number>) {
  return fc.record({
    customer: fc.integer({ min: 0, max: maxCustomer }),
    advanceMs: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 8 * HOUR_MS }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 * DAY_MS }) },
    ),
    lateMs: fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 * DAY_MS }) },
    ),
    valueMinor,
    kind: fc.constantFrom<'SALE' | 'RETURN'>('SALE', 'SALE', 'SALE', 'RETURN'),
  });
}
