import { describe, expect, it } from 'vitest';
import { isRedisConnectionError } from './connection-errors.js';

describe('isRedisConnectionError', () => {
  it('recognises the shapes of a lost connection', () => {
    const maxRetries = Object.assign(
      new Error(
        'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
      ),
      { name: 'MaxRetriesPerRequestError' },
    );
    expect(isRedisConnectionError(maxRetries)).toBe(true);
    expect(
      isRedisConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(
      isRedisConnectionError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe(true);
    expect(isRedisConnectionError(new Error('Command timed out'))).toBe(true);
  });

  it('leaves replies of Redis itself and other failures alone', () => {
    const reply = Object.assign(
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      {
        name: 'ReplyError',
      },
    );
    expect(isRedisConnectionError(reply)).toBe(false);
    expect(isRedisConnectionError(new TypeError('x is not a function'))).toBe(false);
    expect(isRedisConnectionError('ECONNRESET')).toBe(false);
  });
});
