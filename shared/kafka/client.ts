import { Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs';
import { type Logger, scrubText } from '../observability/logger.js';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
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
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: redactingLogCreator(options.logger.child({ component: 'kafkajs' })),
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  });
}
