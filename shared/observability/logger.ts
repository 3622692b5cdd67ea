import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Personal data is redacted by path wherever it appears in a logged
 * object; message values are never logged at all, because redaction only covers paths.
 */
export const redactedPaths = [
  'customerId',
  '*.customerId',
  '*.*.customerId',
  'displayName',
  '*.displayName',
  'key',
  '*.key',
  'referredCustomerId',
  '*.referredCustomerId',
  'password',
  '*.password',
  'sasl',
  '*.sasl',
  // Connection secrets, should a config or client-options object ever be logged whole
  // (KafkaSecurity and RedisSecurity serialise without them anyway).
  'passphrase',
  '*.passphrase',
  'KAFKA_SASL_PASSWORD',
  '*.KAFKA_SASL_PASSWORD',
  'REDIS_PASSWORD',
  '*.REDIS_PASSWORD',
  'REDIS_URL',
  '*.REDIS_URL',
];

export function createLogger(options: {
  level: string;
  name: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { worker: options.name, pid: process.pid },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

const customerIdLike = /\b(c|cust|customer|sow)[-_]?\d{3,}\b/gi;

/** Scrubs identifiers that look like customer ids from free text (exception messages, kafkajs logs). */
export function scrubText(text: string): string {
  return text.replace(customerIdLike, '[redacted]');
}
