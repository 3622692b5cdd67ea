import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEnv } from '../../shared/config/env.js';
import { ConfigError } from '../../shared/errors.js';
import { loadRetentionConfig, retentionEnvSpec } from './config.js';

const failureOf = (environment: Record<string, string>) => {
  try {
    loadRetentionConfig(environment);
  } catch (error) {
    return error;
  }
  return null;
};

describe('retention configuration', () => {
  it('loads the default settings and the default offer policy', () => {
    const config = loadRetentionConfig({});
    expect(config.settings.riskThreshold).toBe(0.5);
    expect(config.policy.tiers.top.offers[0]!.code).toBe('FREE_DEVICE_TICKETS');
    expect(config.policy.tiers.bottom.offers).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ RETENTION_RISK_THRESHOLD: '1.5' }, 'RETENTION_RISK_THRESHOLD'],
    [{ RETENTION_FIT_PERIOD: '12h' }, 'RETENTION_FIT_PERIOD'],
    [{ RETENTION_OFFER_POLICY: '/nonexistent/policy.json' }, '/nonexistent/policy.json'],
    [{ RETENTION_CURRENCY: 'USD' }, 'RETENTION_OFFER_POLICY'],
  ])('stops start-up naming what is wrong for %j', (environment, variable) => {
    const error = failureOf(environment);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });

  it('sets the ladder rules and the risk weights from the environment', () => {
    const config = loadRetentionConfig({
      RETENTION_LADDER_WINDOW_DAYS: '180',
      RETENTION_LADDER_CLIENT_MIN_PURCHASE_DAYS: '4',
      RETENTION_RISK_COMPLAINT: '0',
      RETENTION_SPEND_DECLINE_SHARE: '0.3',
    });
    expect(config.ladder).toMatchObject({
      clientWindowDays: 180,
      partnerWindowDays: 180,
      clientMinPurchaseDays: 4,
    });
    expect(config.settings.interactionRisk.complaint).toBe(0);
    expect(config.settings.spendDecline.share).toBe(0.3);
  });

  it('rejects a policy file with a bad field, naming the field', () => {
    const policy = JSON.parse(
      readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
    );
    policy.tiers.top.offers[0].costCeilingMinor = -1;
    const path = join(tmpdir(), `policy-${process.pid}.json`);
    writeFileSync(path, JSON.stringify(policy));
    const error = failureOf({ RETENTION_OFFER_POLICY: path });
    expect((error as Error).message).toContain('tiers.top.offers[0].costCeilingMinor');
  });

  it('is documented in the README exactly as parsed', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(describeEnv(retentionEnvSpec));
  });
});
