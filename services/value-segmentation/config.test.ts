import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeEnv } from '../../shared/config/env.js';
import { runtimeEnvSpec } from '../../shared/config/runtime-config.js';
import { ConfigError } from '../../shared/errors.js';
import { loadValueSegmentationConfig, valueSegmentationEnvSpec } from './config.js';

describe('value-segmentation configuration', () => {
  it('has working defaults and is frozen', () => {
    const config = loadValueSegmentationConfig({});
    expect(config.settings.windowsDays).toEqual([30, 90, 365]);
    expect(config.settings.refreshPeriodMs).toBe(86_400_000);
    expect(config.runtime.TOPIC_PARTITIONS).toBe(12);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.runtime)).toBe(true);
  });

  it.each([
    [{ KAFKA_BROKERS: 'not a broker' }, 'KAFKA_BROKERS'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ TOPIC_PARTITIONS: 'twelve' }, 'TOPIC_PARTITIONS'],
    [{ VALUE_REFRESH_PERIOD: '1 day' }, 'VALUE_REFRESH_PERIOD'],
    [{ VALUE_BASIS: 'profit' }, 'VALUE_BASIS'],
    [{ VALUE_RANKING_WINDOW_DAYS: '180' }, 'VALUE_RANKING_WINDOW_DAYS'],
    [{ VALUE_TOP_SHARE: '0.7', VALUE_BOTTOM_SHARE: '0.5' }, 'VALUE_BOTTOM_SHARE'],
  ])('stops start-up naming the variable for %j', (environment, variable) => {
    let caught: unknown;
    try {
      loadValueSegmentationConfig(environment);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message).toContain(variable);
  });

  it('parses durations with units', () => {
    const config = loadValueSegmentationConfig({ VALUE_REFRESH_PERIOD: '6h', VALUE_PUBLISH_DELAY: '90m' });
    expect(config.settings.refreshPeriodMs).toBe(6 * 3_600_000);
    expect(config.settings.publishDelayMs).toBe(90 * 60_000);
  });

  it('is documented in the README exactly as parsed (the tables cannot drift)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(describeEnv(runtimeEnvSpec));
    expect(readme).toContain(describeEnv(valueSegmentationEnvSpec));
  });
});
