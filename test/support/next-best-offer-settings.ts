import { loadNextBestOfferConfig } from '../../services/next-best-offer/config.js';
import type { NextBestOfferSettings } from '../../services/next-best-offer/settings.js';

// The next-best-offer worker's settings for tests of the real process (integration, faults):
// small enough for a run of seconds (a 14-day window mined every day, rules of at most three
// items), loose enough that the synthetic traffic's associations (next-best-offer-traffic.ts) and
// its up-sell step are learned. Given to the process as environment; the oracle's settings are
// parsed from the same variables, so the two cannot drift apart.

export const nextBestOfferTestEnv: Readonly<Record<string, string>> = Object.freeze({
  NBO_MIN_SUPPORT: '0.05',
  NBO_MIN_CONFIDENCE: '0.3',
  NBO_MAX_RULE_LENGTH: '3',
  NBO_BASKET_WINDOW_DAYS: '14',
  NBO_REFRESH_PERIOD: '1d',
  NBO_PUBLISH_DELAY: '1d',
  NBO_STEP_HORIZON_DAYS: '60',
  NBO_MIN_STEP_CUSTOMERS: '3',
  NBO_COOLDOWN: '7d',
});

/** The settings the worker process makes of `env` (the endpoints are placeholders, never used). */
export function nextBestOfferSettingsOf(env: Readonly<Record<string, string>>): NextBestOfferSettings {
  return loadNextBestOfferConfig({
    KAFKA_BROKERS: '127.0.0.1:9092',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ...env,
  }).settings;
}
