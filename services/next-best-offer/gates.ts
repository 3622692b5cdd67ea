// Whether a customer with suggestions is sent them, held out, or left alone and why. Pure: the
// caller (the worker) passes the profile's consent, when the customer was last suggested to (or
// held out), stream time and how many suggestions ranking found, and records the outcome.
//
// The gates, in this order (the same reasoning as the retention offers' gates):
// 1. consent — nobody without marketing consent is contacted, and the holdout is drawn only from
//    customers who could have been contacted (or the control group would hold people the treated
//    group never could).
// 2. cooldown — nothing within cooldownDays of the last suggestion or holdout: the worker starts
//    the cooldown on both, so held-out customers are recorded at the cadence treated ones are.
// 3. nothing to suggest — no holdout is drawn for a customer ranking found nothing for: the
//    control group is drawn from the same population the suggestions go to.
// 4. holdout — a deterministic share per value tier (shared/experiments/holdout.ts, the retention
//    worker's own), salted so this worker's control group is independent of retention's: the
//    hash reads `<salt>|<tier>|<customerId>` where retention's reads `<tier>|<customerId>`.

import { isHoldout } from '../../shared/experiments/holdout.js';
import { DAY_MS } from './settings.js';

export type GateReason = 'no-consent' | 'cooldown' | 'no-suggestion';

export type GateOutcome =
  | { readonly kind: 'suggest' }
  | { readonly kind: 'holdout' }
  | { readonly kind: 'suppressed'; readonly reason: GateReason };

export interface GateSettings {
  /** Integer ≥ 0: no suggestion within this many days of the last one (or holdout). 0 = none. */
  readonly cooldownDays: number;
  /** Keeps this worker's holdout independent of other treatments': non-empty, no `|`. */
  readonly holdoutSalt: string;
  /** Holdout share per value tier, each in [0, 1). */
  readonly holdoutShareByTier: Readonly<Record<string, number>>;
  /** Holdout share of a tier the map does not name (e.g. `unknown` before the customer has a tier). */
  readonly defaultHoldoutShare: number;
}

export interface GateInput {
  readonly customerId: string;
  /** The customer's current value tier. */
  readonly tier: string;
  /** Marketing consent from the latest profile; null (no profile yet) counts as no consent. */
  readonly consent: boolean | null;
  /** Last suggestion or holdout, epoch ms; null if never. A time after `now` (a replay) counts as within the cooldown. */
  readonly lastSuggestedAt: number | null;
  /** Stream time of the decision, epoch ms. */
  readonly now: number;
  /** Suggestions ranking found. */
  readonly suggestionCount: number;
}

const isShare = (s: number) => s >= 0 && s < 1;

export function checkGateSettings(settings: GateSettings): GateSettings {
  const { cooldownDays, holdoutSalt, holdoutShareByTier, defaultHoldoutShare } = settings;
  if (!Number.isSafeInteger(cooldownDays) || cooldownDays < 0)
    throw new RangeError(`cooldownDays must be a non-negative integer (got ${cooldownDays})`);
  if (holdoutSalt === '' || holdoutSalt.includes('|'))
    throw new RangeError(`holdoutSalt must be non-empty and hold no | (got ${JSON.stringify(holdoutSalt)})`);
  for (const [tier, share] of Object.entries(holdoutShareByTier))
    if (!isShare(share))
      throw new RangeError(`holdout share of tier ${tier} must be in [0, 1) (got ${share})`);
  if (!isShare(defaultHoldoutShare))
    throw new RangeError(`defaultHoldoutShare must be in [0, 1) (got ${defaultHoldoutShare})`);
  return settings;
}

export function holdoutShareOf(tier: string, settings: GateSettings): number {
  return Object.hasOwn(settings.holdoutShareByTier, tier)
    ? settings.holdoutShareByTier[tier]!
    : settings.defaultHoldoutShare;
}

/** The gates that do not depend on the ranking: consent, then the cooldown; null = contactable. */
export function contactGate(
  input: Pick<GateInput, 'consent' | 'lastSuggestedAt' | 'now'>,
  settings: GateSettings,
): 'no-consent' | 'cooldown' | null {
  const { consent, lastSuggestedAt, now } = input;
  if (consent !== true) return 'no-consent';
  if (lastSuggestedAt !== null && now - lastSuggestedAt < settings.cooldownDays * DAY_MS) return 'cooldown';
  return null;
}

export function gateSuggestion(input: GateInput, settings: GateSettings): GateOutcome {
  const { customerId, tier } = input;
  const refused = contactGate(input, settings);
  if (refused !== null) return { kind: 'suppressed', reason: refused };
  if (input.suggestionCount === 0) return { kind: 'suppressed', reason: 'no-suggestion' };
  if (isHoldout(customerId, `${settings.holdoutSalt}|${tier}`, holdoutShareOf(tier, settings)))
    return { kind: 'holdout' };
  return { kind: 'suggest' };
}
