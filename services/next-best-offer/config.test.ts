import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { loadNextBestOfferConfig } from './config.js';
import { DAY_MS, defaultNextBestOfferSettings } from './settings.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadNextBestOfferConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('next-best-offer configuration', () => {
  it('gives the documented defaults, frozen', () => {
    const config = loadNextBestOfferConfig(base);
    expect(config.settings).toEqual(defaultNextBestOfferSettings);
    expect(Object.isFrozen(config.settings)).toBe(true);
  });

  it('reads every variable', () => {
    const { settings } = loadNextBestOfferConfig({
      ...base,
      NBO_ITEM_LEVEL: 'sku',
      NBO_MIN_SUPPORT: '0.001',
      NBO_MIN_CONFIDENCE: '0.8',
      NBO_MAX_RULE_LENGTH: '10',
      NBO_REFRESH_PERIOD: '2d',
      NBO_COOLDOWN: '14d',
      NBO_HOLDOUT_BY_TIER: 'top=0.2,bottom=0',
      NBO_LEARN_STEPS: 'false',
      NBO_POPULAR_FILL: 'false',
    });
    expect(settings.learnSteps).toBe(false);
    expect(settings.popularFill).toBe(false);
    expect(defaultNextBestOfferSettings.learnSteps && defaultNextBestOfferSettings.popularFill).toBe(true);
    expect(settings.itemLevel).toBe('sku');
    expect(settings.minSupport).toBe(0.001);
    expect(settings.minConfidence).toBe(0.8);
    expect(settings.maxRuleLength).toBe(10);
    expect(settings.refreshPeriodMs).toBe(2 * DAY_MS);
    expect(settings.cooldownMs).toBe(14 * DAY_MS);
    expect(settings.holdoutShareByTier).toEqual({ top: 0.2, bottom: 0 });
  });

  it.each([
    [{ NBO_ITEM_LEVEL: 'brand' }, 'NBO_ITEM_LEVEL'],
    [{ NBO_MIN_SUPPORT: '0' }, 'NBO_MIN_SUPPORT'],
    [{ NBO_MIN_SUPPORT: '1.5' }, 'NBO_MIN_SUPPORT'],
    [{ NBO_REFRESH_PERIOD: '6h' }, 'NBO_REFRESH_PERIOD'],
    [{ NBO_MIN_RULE_LENGTH: '5', NBO_MAX_RULE_LENGTH: '3' }, 'NBO_MAX_RULE_LENGTH'],
    [{ NBO_HOLDOUT_BY_TIER: 'top=1' }, 'NBO_HOLDOUT_BY_TIER'],
    [{ NBO_HOLDOUT_BY_TIER: 'top' }, 'NBO_HOLDOUT_BY_TIER'],
    [{ NBO_WALLET_GAP_BOOST: '0.5' }, 'NBO_WALLET_GAP_BOOST'],
    [{ NBO_LEARN_STEPS: 'maybe' }, 'NBO_LEARN_STEPS'],
    [{ NBO_POPULAR_FILL: 'on' }, 'NBO_POPULAR_FILL'],
  ])('stops start-up naming the variable: %o', (env, variable) => {
    expect(errorOf(env).message).toContain(variable);
  });
});

describe('next-best-offer configuration documentation', () => {
  it('is documented in the README exactly as parsed', async () => {
    const { readFileSync } = await import('node:fs');
    const { describeEnv } = await import('../../shared/config/env.js');
    const { nextBestOfferEnvSpec } = await import('./config.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(describeEnv(nextBestOfferEnvSpec));
  });

  it('reads the ladders file, and a bad one stops start-up naming NBO_LADDERS_FILE', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'nbo-ladders-'));
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({ ladders: [{ name: 'mobile', rungs: ['prepaid', 'contract'], probability: 0.3 }] }),
    );
    expect(loadNextBestOfferConfig({ ...base, NBO_LADDERS_FILE: good }).settings.ladders).toEqual([
      { name: 'mobile', rungs: ['prepaid', 'contract'], probability: 0.3 },
    ]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ladders: [{ name: 'mobile', rungs: ['prepaid'], probability: 2 }] }));
    expect(errorOf({ NBO_LADDERS_FILE: bad }).message).toMatch(/^NBO_LADDERS_FILE: .*bad\.json/);
    expect(errorOf({ NBO_LADDERS_FILE: join(dir, 'missing.json') }).message).toContain('NBO_LADDERS_FILE');
  });
});
