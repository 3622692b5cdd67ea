// A customer's retention state as stored in Redis: a short text instead of JSON, which spent most
// of its bytes on field names and millisecond times (a purchase day took 22 B of JSON in `days`
// and 14 more in the ladder's evidence; here 9 and 5). The encoding is a function of the state
// alone (the runtime compares encoded states to detect a change); the JSON written by an earlier
// release still decodes, and is rewritten compact when the customer next changes.
//
//   1;<days>;<earlier>;<consent>;<consentAt>;<valueTier>;<atRisk>;<lastTreatment>;
//     <ladder purchase days>;<supportAt>;<referralsAt>;<partnershipsAt>;<rung>;<activePeriod>
//
// (one line). Lists separate their items with '|', an item's fields with ','.
//   day            <day>,<spend>                  earlier     <days>,<firstDay>,<lastDay>,<repeat spend>
//   atRisk         <since>(,<reason>)*            treatment   <at>,<o|h>,<tier>,<expiresAt>,<retained 1|0>
//   activePeriod   <period>,<tier>                consent     1, 0 or '' (none)
// A record ('' for null), numbers, times and strings as shared/runtime/state-text.ts writes them;
// a string that may be null (value tier, rung) is '' for null, '=' and the string otherwise.

import {
  listItems,
  NotCompact,
  numberText as num,
  StateTextReader,
  stringText as text,
  timeText as time,
} from '../../shared/runtime/state-text.js';
import type { Rung } from './ladder/ladder.js';
import type { EarlierDays, PurchaseDay } from './purchase-days.js';
import type { ActivePeriod } from './retention-rate.js';
import type { RetentionState, Treatment } from './state.js';

const VERSION = '1';
const SECTIONS = 14;
const KIND_CODES: ReadonlyMap<string, string> = new Map([
  ['offer', 'o'],
  ['holdout', 'h'],
]);

const optionalText = (s: string | null): string => (s === null ? '' : `=${text(s)}`);
const times = (list: readonly number[]): string => list.map((t) => time(t)).join('|');

function earlierText(e: EarlierDays | null): string {
  return e === null ? '' : `${num(e.days)},${time(e.firstDay)},${time(e.lastDay)},${num(e.repeatSpendMinor)}`;
}

function treatmentText(t: Treatment | null): string {
  if (t === null) return '';
  const kind = KIND_CODES.get(t.kind);
  if (kind === undefined) throw new NotCompact();
  return `${time(t.at)},${kind},${text(t.tier)},${time(t.expiresAt)},${t.retained ? '1' : '0'}`;
}

export function encodeState(state: RetentionState): string {
  try {
    const { evidence, rung } = state.ladder;
    return [
      VERSION,
      state.days.map(([day, spend]) => `${time(day)},${num(spend)}`).join('|'),
      earlierText(state.earlier),
      state.consent === null ? '' : state.consent ? '1' : '0',
      time(state.consentAt),
      optionalText(state.valueTier),
      state.atRisk === null ? '' : [time(state.atRisk.since), ...state.atRisk.reasons.map(text)].join(','),
      treatmentText(state.lastTreatment),
      times(evidence.purchaseDays),
      times(evidence.supportAt),
      times(evidence.referralsAt),
      times(evidence.partnershipsAt),
      optionalText(rung),
      state.activePeriod === null ? '' : `${num(state.activePeriod.period)},${text(state.activePeriod.tier)}`,
    ].join(';');
  } catch (error) {
    if (error instanceof NotCompact) return JSON.stringify(state);
    throw error;
  }
}

function parseOptionalText(s: string, read: StateTextReader): string | null {
  if (s === '') return null;
  if (!s.startsWith('=')) throw read.malformed('text');
  return read.string(s.slice(1));
}

function parseDay(item: string, read: StateTextReader): PurchaseDay {
  const [day, spend, ...rest] = item.split(',');
  if (rest.length > 0) throw read.malformed('purchase day');
  return [read.requiredTime(day), read.number(spend)];
}

function parseEarlier(s: string, read: StateTextReader): EarlierDays | null {
  if (s === '') return null;
  const [days, first, last, repeat, ...rest] = s.split(',');
  if (rest.length > 0) throw read.malformed('earlier days');
  return {
    days: read.number(days),
    firstDay: read.requiredTime(first),
    lastDay: read.requiredTime(last),
    repeatSpendMinor: read.number(repeat),
  };
}

function parseConsent(s: string, read: StateTextReader): boolean | null {
  if (s === '') return null;
  if (s !== '1' && s !== '0') throw read.malformed('consent');
  return s === '1';
}

function parseAtRisk(s: string, read: StateTextReader): RetentionState['atRisk'] {
  if (s === '') return null;
  const [since, ...reasons] = s.split(',');
  return { since: read.requiredTime(since), reasons: reasons.map((r) => read.string(r)) };
}

function parseTreatment(s: string, read: StateTextReader): Treatment | null {
  if (s === '') return null;
  const [at, kind, tier, expiresAt, retained, ...rest] = s.split(',');
  if ((kind !== 'o' && kind !== 'h') || (retained !== '1' && retained !== '0') || rest.length > 0)
    throw read.malformed('treatment');
  return {
    at: read.requiredTime(at),
    kind: kind === 'o' ? 'offer' : 'holdout',
    tier: read.string(tier),
    expiresAt: read.requiredTime(expiresAt),
    retained: retained === '1',
  };
}

function parseActivePeriod(s: string, read: StateTextReader): ActivePeriod | null {
  if (s === '') return null;
  const [period, tier, ...rest] = s.split(',');
  if (rest.length > 0) throw read.malformed('active period');
  return { period: read.number(period), tier: read.string(tier) };
}

const parseTimes = (s: string, read: StateTextReader): number[] =>
  listItems(s, '|').map((t) => read.requiredTime(t));

export function decodeState(encoded: string): RetentionState {
  if (encoded.startsWith('{')) {
    // Written by a release before the compact form (or a state with a number it cannot hold);
    // states written before purchase days were folded have no `earlier`: all their days are listed.
    const state = JSON.parse(encoded) as RetentionState;
    return state.earlier === undefined ? { ...state, earlier: null } : state;
  }
  const read = new StateTextReader('retention state', encoded);
  const s = encoded.split(';');
  if (s.length !== SECTIONS || s[0] !== VERSION) throw read.malformed('layout');
  const at = (i: number) => s[i]!;
  return {
    days: listItems(at(1), '|').map((d) => parseDay(d, read)),
    earlier: parseEarlier(at(2), read),
    consent: parseConsent(at(3), read),
    consentAt: read.time(at(4)),
    valueTier: parseOptionalText(at(5), read),
    atRisk: parseAtRisk(at(6), read),
    lastTreatment: parseTreatment(at(7), read),
    ladder: {
      evidence: {
        purchaseDays: parseTimes(at(8), read),
        supportAt: parseTimes(at(9), read),
        referralsAt: parseTimes(at(10), read),
        partnershipsAt: parseTimes(at(11), read),
      },
      rung: parseOptionalText(at(12), read) as Rung | null,
    },
    activePeriod: parseActivePeriod(at(13), read),
  };
}
