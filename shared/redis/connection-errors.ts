// ioredis reports a lost connection in several shapes, none of them a Redis reply: a command in
// flight when the socket dies fails with MaxRetriesPerRequestError (we run with
// maxRetriesPerRequest 0 and no offline queue, so nothing is silently queued), a command sent
// while disconnected with "Stream isn't writeable" or "Connection is closed", and socket errors
// carry ECONNREFUSED/ECONNRESET/EPIPE/ETIMEDOUT. The outcome of such a command is unknown: the
// batch is retried after a re-claim, the worker must not exit (PITFALLS: Redis outage).

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);
const CONNECTION_MESSAGES = [
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /max retries per request/i,
  /Command timed out/i,
];

export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message));
}
