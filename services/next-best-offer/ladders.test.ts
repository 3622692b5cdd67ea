import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { type Ladder, nextRung, parseLadders } from './ladders.js';

const savings: Ladder = {
  name: 'savings',
  rungs: ['child-savings', 'youth-account', 'family-account', 'pension-plan'],
  probability: 0.2,
};

function problem(json: unknown): string {
  try {
    parseLadders(JSON.stringify(json), 'ladders.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseLadders', () => {
  it('reads a valid file', () => {
    const text = JSON.stringify({ $comment: 'banking', ladders: [{ ...savings, $comment: 'the classic' }] });
    expect(parseLadders(text, 'ladders.json')).toEqual([savings]);
    expect(parseLadders('{"ladders": []}', 'x')).toEqual([]);
  });

  it('names the file and the path of every problem', () => {
    expect(problem({ ladders: [{ ...savings, probability: 0 }] })).toBe(
      'ladders.json: ladders[0].probability must be a probability in (0, 1] (got 0)',
    );
    expect(problem({ ladders: [{ ...savings, rungs: ['a'] }] })).toMatch(
      /ladders\[0\]\.rungs must be a list of at least 2 items/,
    );
    expect(problem({ ladders: [{ ...savings, rungs: ['a', ''] }] })).toMatch(
      /ladders\[0\]\.rungs\[1\] must be an item/,
    );
    expect(problem({ ladders: [{ ...savings, rungs: ['a', 'b', 'a'] }] })).toMatch(
      /ladders\[0\]\.rungs\[2\] repeats "a" of rungs\[0\]/,
    );
    expect(problem({ ladders: [savings, savings] })).toMatch(
      /ladders\[1\]\.name repeats the name of ladders\[0\]/,
    );
    expect(problem({ ladders: [{ ...savings, name: undefined }] })).toMatch(/ladders\[0\]\.name is required/);
    expect(problem({ ladders: [{ ...savings, probabilty: 0.3 }] })).toMatch(
      /ladders\[0\] has unknown keys probabilty/,
    );
    expect(problem({})).toMatch(/ladders is required/);
    expect(problem([])).toMatch(/must be a JSON object/);
  });

  it('reports every problem at once', () => {
    const message = problem({
      ladders: [
        { ...savings, probability: 2 },
        { ...savings, name: 'b', rungs: [] },
      ],
    });
    expect(message).toMatch(/ladders\[0\]\.probability/);
    expect(message).toMatch(/ladders\[1\]\.rungs/);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseLadders('{', 'ladders.json')).toThrow(/ladders.json: is not valid JSON/);
  });
});

describe('nextRung', () => {
  it('is the rung above the highest owned, on small cases', () => {
    const next = (owned: string[]) => nextRung(savings, new Set(owned))?.next ?? null;
    expect(next([])).toBeNull();
    expect(next(['unrelated'])).toBeNull();
    expect(next(['child-savings'])).toBe('youth-account');
    expect(next(['child-savings', 'youth-account'])).toBe('family-account');
    // Skipped rungs below the highest are not offered.
    expect(next(['child-savings', 'family-account'])).toBe('pension-plan');
    expect(next(['youth-account', 'pension-plan'])).toBeNull();
    expect(nextRung(savings, new Set(['youth-account']))).toEqual({
      highestOwned: 'youth-account',
      next: 'family-account',
    });
  });

  it('never offers an owned rung or one at or below an owned rung', () => {
    fc.assert(
      fc.property(fc.subarray([...savings.rungs, 'other']), (owned) => {
        const found = nextRung(savings, new Set(owned));
        if (found === null) return;
        const at = savings.rungs.indexOf(found.next);
        expect(owned).not.toContain(found.next);
        expect(savings.rungs.slice(at).some((r) => owned.includes(r))).toBe(false);
        expect(savings.rungs[at - 1]).toBe(found.highestOwned);
      }),
    );
  });
});
