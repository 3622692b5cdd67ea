import { describe, expect, it } from 'vitest';
import {
  checkSettings,
  customersInShare,
  DAY_MS,
  defaultValueSegmentationSettings,
  type ValueSegmentationSettings,
  valueSegmentationSettings,
} from './settings.js';

describe('value segmentation settings', () => {
  it('has the documented defaults, frozen and valid', () => {
    expect(defaultValueSegmentationSettings).toEqual({
      windowsDays: [30, 90, 365],
      rankingWindowDays: 365,
      bucketWidthMs: DAY_MS,
      allowedLatenessMs: 3 * DAY_MS,
      valueBasis: 'net-revenue',
      costToServeMinor: 0,
      valueCurrency: 'EUR',
      topShare: 0.2,
      top2Share: 0,
      bottomShare: 0.2,
      hysteresisShare: 0.05,
      refreshPeriodMs: DAY_MS,
      publishDelayMs: DAY_MS,
    });
    expect(Object.isFrozen(defaultValueSegmentationSettings)).toBe(true);
    expect(Object.isFrozen(defaultValueSegmentationSettings.windowsDays)).toBe(true);
    expect(checkSettings(defaultValueSegmentationSettings)).toBe(defaultValueSegmentationSettings);
  });

  it('accepts a top2 tier of 2%', () => {
    expect(valueSegmentationSettings({ top2Share: 0.02 }).top2Share).toBe(0.02);
  });

  it.each<[Partial<ValueSegmentationSettings>, keyof ValueSegmentationSettings]>([
    [{ windowsDays: [] }, 'windowsDays'],
    [{ windowsDays: [30, 0] }, 'windowsDays'],
    [{ windowsDays: [30, 30, 365] }, 'windowsDays'],
    [{ windowsDays: [30, 7.5] }, 'windowsDays'],
    [{ rankingWindowDays: 180 }, 'rankingWindowDays'],
    [{ bucketWidthMs: 0 }, 'bucketWidthMs'],
    [{ allowedLatenessMs: -1 }, 'allowedLatenessMs'],
    [{ valueBasis: 'profit' as never }, 'valueBasis'],
    [{ costToServeMinor: -5 }, 'costToServeMinor'],
    [{ costToServeMinor: 0.5 }, 'costToServeMinor'],
    [{ valueCurrency: 'euro' }, 'valueCurrency'],
    [{ topShare: 0 }, 'topShare'],
    [{ topShare: 1.2 }, 'topShare'],
    [{ top2Share: 0.3 }, 'top2Share'],
    [{ top2Share: -0.01 }, 'top2Share'],
    [{ bottomShare: 1 }, 'bottomShare'],
    [{ topShare: 0.7, bottomShare: 0.5 }, 'bottomShare'],
    [{ hysteresisShare: 1 }, 'hysteresisShare'],
    [{ hysteresisShare: Number.NaN }, 'hysteresisShare'],
    [{ refreshPeriodMs: 0 }, 'refreshPeriodMs'],
    [{ publishDelayMs: -1 }, 'publishDelayMs'],
  ])('names the bad setting in %j', (overrides, setting) => {
    expect(() => valueSegmentationSettings(overrides)).toThrow(`value segmentation setting ${setting} `);
  });

  it('counts the customers of a share without floating-point surprises', () => {
    expect(0.07 * 100).not.toBe(7); // the trap: ceil would give 8
    expect(customersInShare(0.07, 100, 'up')).toBe(7);
    expect(0.29 * 100).not.toBe(29); // floor would give 28
    expect(customersInShare(0.29, 100, 'down')).toBe(29);
    expect(customersInShare(0.2, 15, 'up')).toBe(3);
    expect(customersInShare(0.2, 15, 'down')).toBe(3);
    expect(customersInShare(0.2, 16, 'up')).toBe(4);
    expect(customersInShare(0.2, 16, 'down')).toBe(3);
    expect(customersInShare(0.02, 10, 'up')).toBe(1);
    expect(customersInShare(0.02, 10, 'down')).toBe(0);
    expect(customersInShare(0.2, 0, 'up')).toBe(0);
  });
});
