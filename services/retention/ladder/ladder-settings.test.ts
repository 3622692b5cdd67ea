import { describe, expect, it } from 'vitest';
import {
  checkLadderSettings,
  defaultLadderSettings,
  LadderSettingError,
  type LadderSettings,
  ladderSettings,
} from './ladder-settings.js';

function settingFailing(overrides: Partial<LadderSettings>): string | undefined {
  try {
    ladderSettings(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(LadderSettingError);
    const e = error as LadderSettingError;
    expect(e.message).toContain(e.setting);
    return e.setting;
  }
  return undefined;
}

describe('loyalty-ladder settings', () => {
  it('defaults to the brief: 365-day windows, client at 3 purchase days, promoters 9-10, reviews 4+ of 5', () => {
    expect(checkLadderSettings(defaultLadderSettings)).toBe(defaultLadderSettings);
    expect(defaultLadderSettings).toEqual({
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
    expect(Object.isFrozen(defaultLadderSettings)).toBe(true);
  });

  it('applies overrides over the defaults', () => {
    const s = ladderSettings({ clientMinPurchaseDays: 5, partnerWindowDays: 730 });
    expect(s.clientMinPurchaseDays).toBe(5);
    expect(s.partnerWindowDays).toBe(730);
    expect(s.supporterWindowDays).toBe(365);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it.each([
    [{ customerWindowDays: 0 }, 'customerWindowDays'],
    [{ clientWindowDays: 30.5 }, 'clientWindowDays'],
    [{ supporterWindowDays: -1 }, 'supporterWindowDays'],
    [{ advocateWindowDays: Number.NaN }, 'advocateWindowDays'],
    [{ partnerWindowDays: 3661 }, 'partnerWindowDays'],
    [{ customerMinPurchaseDays: 0 }, 'customerMinPurchaseDays'],
    [{ clientMinPurchaseDays: 1 }, 'clientMinPurchaseDays'],
    [{ customerMinPurchaseDays: 3, clientMinPurchaseDays: 3 }, 'clientMinPurchaseDays'],
    [{ clientMinPurchaseDays: 2.5 }, 'clientMinPurchaseDays'],
    [{ supporterMinSurveyScore: 11 }, 'supporterMinSurveyScore'],
    [{ supporterMinSurveyScore: -1 }, 'supporterMinSurveyScore'],
    [{ supporterMinReviewRating: 0 }, 'supporterMinReviewRating'],
    [{ supporterMinReviewRating: 6 }, 'supporterMinReviewRating'],
    [{ supporterMinReviewRating: 4.5 }, 'supporterMinReviewRating'],
  ])('rejects %j naming the setting', (overrides, setting) => {
    expect(settingFailing(overrides as Partial<LadderSettings>)).toBe(setting);
  });

  it('says what is wrong and what it got', () => {
    expect(() => ladderSettings({ supporterMinReviewRating: 6 })).toThrow(
      'loyalty-ladder setting supporterMinReviewRating must be a star rating 1-5 (got 6)',
    );
  });

  it('accepts the extremes of each range', () => {
    expect(() =>
      ladderSettings({
        customerWindowDays: 1,
        partnerWindowDays: 3660,
        supporterMinSurveyScore: 0,
        supporterMinReviewRating: 5,
        customerMinPurchaseDays: 1,
        clientMinPurchaseDays: 2,
      }),
    ).not.toThrow();
  });
});
