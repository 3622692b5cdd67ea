import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isCoordinatorNotFound, MAX_CRASHES_IN_WINDOW, planCrash } from './consumer-crash.js';

// The crash kafkajs reports after a single broker's restart: the retrier's bail wraps the
// lookup's error (errors.js, retry/index.js of kafkajs 2.2).
// kafkajs is CommonJS (Node's ESM loader sees no named exports); its type declarations give these
// constructors fewer parameters than its code takes.
const { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError } = kafkajs;
const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
const NonRetriable = KafkaJSNonRetriableError as unknown as new (
  e: Error | string,
  options?: { cause?: Error },
) => Error;
const lookupFailed = () => {
  const notFound = new NotFound('Failed to find group coordinator');
  return new NonRetriable(notFound, { cause: notFound });
};

describe('a consumer crash', () => {
  it('finds the coordinator lookup failure through the causes kafkajs wraps it in', () => {
    expect(isCoordinatorNotFound(lookupFailed())).toBe(true);
    expect(isCoordinatorNotFound(new NotFound('Failed to find group coordinator'))).toBe(true);
    expect(isCoordinatorNotFound(new NonRetriable('something else'))).toBe(false);
    expect(isCoordinatorNotFound(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isCoordinatorNotFound('not an error')).toBe(false);
  });

  it('is left to kafkajs when it restarts the consumer itself', () => {
    expect(planCrash(new KafkaJSConnectionError('refused'), true, 1)).toEqual({ kind: 'kafkajs-restarts' });
  });

  it('after a coordinator lookup failure is restarted by the runtime, backing off 1, 2, 4, 8, 10 s', () => {
    const delays = [1, 2, 3, 4, 5].map((n) => planCrash(lookupFailed(), false, n));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000].map((afterMs) => ({ kind: 'restart', afterMs })));
  });

  it('that kafkajs will not restart for any other reason ends the process', () => {
    expect(planCrash(new NonRetriable('Topic authorization failed'), false, 1)).toEqual({
      kind: 'give-up',
    });
  });

  it('ends the process once crashes keep coming, whoever would restart', () => {
    expect(planCrash(lookupFailed(), false, MAX_CRASHES_IN_WINDOW + 1)).toEqual({ kind: 'give-up' });
    expect(planCrash(new KafkaJSConnectionError('refused'), true, MAX_CRASHES_IN_WINDOW + 1)).toEqual({
      kind: 'give-up',
    });
  });
});
