// The knobs of the loyalty ladder (README.md in this folder), checked once at start: a bad value
// names its setting instead of surfacing later as a rung nobody can explain.

import { DAY_MS } from '../settings.js';

export { DAY_MS };

/** Longest window a rule may use: ten years. */
export const MAX_WINDOW_DAYS = 3660;

export interface LadderSettings {
  /** customer: at least `customerMinPurchaseDays` purchase days within this many days. */
  readonly customerWindowDays: number;
  readonly customerMinPurchaseDays: number;
  /** client: at least `clientMinPurchaseDays` purchase days within this many days. */
  readonly clientWindowDays: number;
  readonly clientMinPurchaseDays: number;
  /** supporter: a promoter survey or a positive review within this many days. */
  readonly supporterWindowDays: number;
  /** Surveys (likelihood to recommend, 0-10) scoring at least this are promoters (NPS: 9-10). */
  readonly supporterMinSurveyScore: number;
  /** Reviews (1-5 stars) rated at least this are positive. */
  readonly supporterMinReviewRating: number;
  /** advocate: a referral of another customer within this many days. */
  readonly advocateWindowDays: number;
  /** partner: a partnership agreement within this many days. */
  readonly partnerWindowDays: number;
}

export const defaultLadderSettings: LadderSettings = Object.freeze({
  customerWindowDays: 365,
  customerMinPurchaseDays: 1,
  clientWindowDays: 365,
  clientMinPurchaseDays: 3,
  supporterWindowDays: 365,
  supporterMinSurveyScore: 9,
  supporterMinReviewRating: 4,
  advocateWindowDays: 365,
  partnerWindowDays: 365,
});

export class LadderSettingError extends Error {
  constructor(
    readonly setting: keyof LadderSettings,
    problem: string,
    value: unknown,
  ) {
    super(`loyalty-ladder setting ${setting} ${problem} (got ${JSON.stringify(value)})`);
  }
}

const isWholeIn = (n: unknown, min: number, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

const WINDOWS = [
  'customerWindowDays',
  'clientWindowDays',
  'supporterWindowDays',
  'advocateWindowDays',
  'partnerWindowDays',
] as const satisfies readonly (keyof LadderSettings)[];

/** Throws a LadderSettingError naming the first bad setting. */
export function checkLadderSettings(s: LadderSettings): LadderSettings {
  const fail = (setting: keyof LadderSettings, problem: string): never => {
    throw new LadderSettingError(setting, problem, s[setting]);
  };
  for (const window of WINDOWS) {
    if (!isWholeIn(s[window], 1, MAX_WINDOW_DAYS))
      fail(window, `must be whole days in [1, ${MAX_WINDOW_DAYS}]`);
  }
  if (!isWholeIn(s.customerMinPurchaseDays, 1, 10_000))
    fail('customerMinPurchaseDays', 'must be a positive whole number of purchase days');
  // A client buys repeatedly: more often than it takes to be a customer at all.
  if (!isWholeIn(s.clientMinPurchaseDays, 2, 10_000) || s.clientMinPurchaseDays <= s.customerMinPurchaseDays)
    fail('clientMinPurchaseDays', 'must be a whole number of purchase days above customerMinPurchaseDays');
  if (!isWholeIn(s.supporterMinSurveyScore, 0, 10))
    fail('supporterMinSurveyScore', 'must be a survey score 0-10');
  if (!isWholeIn(s.supporterMinReviewRating, 1, 5))
    fail('supporterMinReviewRating', 'must be a star rating 1-5');
  return s;
}

export function ladderSettings(overrides: Partial<LadderSettings> = {}): LadderSettings {
  return checkLadderSettings(Object.freeze({ ...defaultLadderSettings, ...overrides }));
}

export const windowMs = (days: number): number => days * DAY_MS;
