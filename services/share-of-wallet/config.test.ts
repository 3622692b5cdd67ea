import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeEnv } from '../../shared/config/env.js';
import { ConfigError } from '../../shared/errors.js';
import { loadShareOfWalletConfig, shareOfWalletEnvSpec } from './config.js';
import { defaultShareOfWalletSettings } from './settings.js';

describe('share-of-wallet configuration', () => {
  it('defaults to the documented settings, frozen', () => {
    const config = loadShareOfWalletConfig({});
    expect(config.settings).toEqual(defaultShareOfWalletSettings);
    expect(Object.isFrozen(config.settings)).toBe(true);
  });

  it('parses the energy table and lists', () => {
    const config = loadShareOfWalletConfig({
      SOW_KCAL_PER_DAY:
        'INFANT_0_3=1000,CHILD_4_8=1400,CHILD_9_13=1800,TEEN_14_18=2400,ADULT_19_64=2500,SENIOR_65_PLUS=2100',
      SOW_USAGE_UNITS: 'minutes, GB, SMS',
      SOW_WINDOWS_DAYS: '30,60',
      SOW_COOLDOWN: '14d',
    });
    expect(config.settings.kcalPerDay.ADULT_19_64).toBe(2500);
    expect(config.settings.usageUnits).toEqual(['minutes', 'GB', 'SMS']);
    expect(config.settings.windowsDays).toEqual([30, 60]);
    expect(config.settings.cooldownMs).toBe(14 * 86_400_000);
  });

  it.each([
    [{ SOW_THRESHOLD: 'low' }, 'SOW_THRESHOLD'],
    [{ SOW_KCAL_PER_DAY: 'ADULT_19_64=2300' }, 'SOW_KCAL_PER_DAY'],
    [{ SOW_EVALUATION_PERIOD: '12h' }, 'SOW_EVALUATION_PERIOD'],
    [{ SOW_PUBLISH_DELAY: '90m' }, 'SOW_PUBLISH_DELAY'],
    [{ SOW_SIZE_BANDS: '50,10' }, 'SOW_SIZE_BANDS'],
    [{ SOW_CURRENCY: 'euro' }, 'SOW_CURRENCY'],
    [{ SOW_WINDOWS_DAYS: '28,28' }, 'SOW_WINDOWS_DAYS'],
    [{ KAFKA_BROKERS: 'nope' }, 'KAFKA_BROKERS'],
  ])('stops start-up naming the variable for %j', (environment, variable) => {
    let caught: unknown;
    try {
      loadShareOfWalletConfig(environment);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message).toContain(variable);
  });

  it('is documented in the README exactly as parsed', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(describeEnv(shareOfWalletEnvSpec));
  });
});
