import { Kafka, type logCreator, logLevel } from 'kafkajs';
import { type KafkaSecurity, kafkaConnectionOptions } from '../config/secure-connections.js';
import { type Logger, scrubText } from '../observability/logger.js';
import { registerCompressionCodecs } from './compression.js';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*); none: plaintext. */
  readonly security?: KafkaSecurity;
}

/**
 * kafkajs's own log lines go through our logger and are scrubbed: they can quote record keys
 * or broker errors that mention them (PITFALLS 17).
 */
function redactingLogCreator(logger: Logger): logCreator {
  const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  return () =>
    ({ level, log }) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...extra
      } = log as Record<string, unknown> & { message: string };
      const child = levels[level] ?? 'info';
      logger[child]({ kafkajs: JSON.parse(scrubText(JSON.stringify(extra))) }, scrubText(String(message)));
    };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  registerCompressionCodecs();
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: redactingLogCreator(options.logger.child({ component: 'kafkajs' })),
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    // kafkajs's 1 s default also has to cover the TLS handshake, which a busy host can exceed.
    connectionTimeout: options.security?.ssl === undefined ? 1000 : 5000,
    ...(options.security === undefined ? {} : kafkaConnectionOptions(options.security)),
  });
}

/**
 * The reason code of a failed first connection: wrong credentials and certificate problems
 * need an operator, not retries, so start-up stops with a line that says which it was.
 */
export function kafkaConnectFailureReason(error: unknown): string {
  const name = (error as Error)?.name ?? '';
  const text = `${name} ${(error as Error)?.message ?? String(error)} ${String((error as { cause?: unknown })?.cause ?? '')}`;
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL|authentication failed/i.test(text))
    return 'KAFKA_AUTHENTICATION_FAILED';
  if (/certificate|self[- ]signed|SSL|TLS|handshake|altnames/i.test(text)) return 'KAFKA_TLS_FAILED';
  return 'KAFKA_UNAVAILABLE';
}
