import { describe, expect, it } from 'vitest';
import { parseMemoryOptions } from './memory-options.js';
import { UsageError } from './options.js';

describe('memory bench options', () => {
  it('measures value segmentation at one million customers by default', () => {
    expect(parseMemoryOptions([])).toEqual({
      customers: 1_000_000,
      purchasesPerCustomer: 2,
      partitions: 12,
      seed: 42,
      workers: ['value-segmentation'],
      timeoutSeconds: 1800,
      keepRedis: false,
    });
  });

  it('takes workers in the documented order and rejects unknown ones', () => {
    const o = parseMemoryOptions(['--workers', 'retention,value-segmentation', '--customers', '100000']);
    expect(o !== 'help' && o.workers).toEqual(['value-segmentation', 'retention']);
    expect(o !== 'help' && o.customers).toBe(100_000);
    expect(() => parseMemoryOptions(['--workers', 'next-best-offer'])).toThrow(/unknown worker/);
  });

  it('rejects counts that are not positive integers, naming the option', () => {
    expect(() => parseMemoryOptions(['--customers', '0'])).toThrow(UsageError);
    expect(() => parseMemoryOptions(['--purchases-per-customer', '2.5'])).toThrow(/--purchases-per-customer/);
    expect(parseMemoryOptions(['--help'])).toBe('help');
  });
});
