// A customer's share-of-wallet state as stored in Redis: a short text instead of JSON, which
// spent most of its bytes on field names and millisecond times (357 B of JSON on average for
// the simulator's customers). The encoding is a function of the state alone (the runtime compares
// encoded states to detect a change); the JSON written before it still decodes, so state stored
// by an earlier release loads and is rewritten compact when the customer next changes.
//
//   1;<historyStart>;<valueTier>;<buckets>;<profiles>;<alerts>;<contributions>
//
// Lists separate their items with '|' and an item's fields with ','; a field's parts with ':'.
//   bucket        <day>,<kcal>,<kcal spend>(,<unit>:<amount>:<spend>)*
//   profile       <effectiveAt>,h(,<age band>:<members>)*  |  <effectiveAt>,b,<headcount>,<industry>
//                 |  <effectiveAt>,u,<reason>
//   alert         <key>,<armed 1|0>,<lastAlertAt>,<belowSince>
//   contribution  <at>(,<counter field>)*
// Numbers: a safe integer in base 36 ('-' for negatives), any other finite number as '~' and its
// shortest decimal form (exact both ways). Times: '@' and the day number in base 36 when on a UTC
// day boundary (buckets and evaluations always are), a number otherwise; '' for null. Strings
// (units, keys, industries, counter fields, an unknown tier) pass through encodeURIComponent,
// which escapes every separator and '@', '~', '=' and '%'; a tier is '' for none, a letter for
// the value tiers, '=' and the escaped text for any other.

import type { DayBucket } from './consumption.js';
import type { ProfileBasis, ProfileVersion, UnusableReason } from './profile.js';
import { DAY_MS } from './settings.js';
import type { AlertState, PeerContribution, ShareOfWalletState } from './state.js';

const VERSION = '1';
const TIER_CODES: ReadonlyMap<string, string> = new Map([
  ['top2', '2'],
  ['top', 't'],
  ['middle', 'm'],
  ['bottom', 'b'],
]);
const TIERS_BY_CODE: ReadonlyMap<string, string> = new Map(
  [...TIER_CODES].map(([tier, code]) => [code, tier]),
);

/** The state can be written only with finite numbers; JSON would turn the others into null. */
class NotCompact extends Error {}

function num(n: number): string {
  if (Number.isSafeInteger(n)) return n.toString(36);
  if (!Number.isFinite(n)) throw new NotCompact();
  return `~${String(n)}`;
}

function time(t: number | null): string {
  if (t === null) return '';
  return Number.isSafeInteger(t) && t % DAY_MS === 0 ? `@${(t / DAY_MS).toString(36)}` : num(t);
}

const text = (s: string): string => encodeURIComponent(s);

function bucketText(b: DayBucket): string {
  let out = `${time(b.day)},${num(b.kcal[0])},${num(b.kcal[1])}`;
  for (const [unit, [amount, spend]] of Object.entries(b.usage))
    out += `,${text(unit)}:${num(amount)}:${num(spend)}`;
  return out;
}

function basisText(basis: ProfileBasis): string {
  switch (basis.kind) {
    case 'household': {
      let out = 'h';
      for (const [band, members] of Object.entries(basis.members))
        if (members !== undefined) out += `,${text(band)}:${num(members)}`;
      return out;
    }
    case 'business':
      return `b,${num(basis.headcount)},${text(basis.industry)}`;
    case 'unusable':
      return `u,${text(basis.reason)}`;
  }
}

function alertText(key: string, a: AlertState): string {
  return `${text(key)},${a.armed ? '1' : '0'},${time(a.lastAlertAt)},${time(a.belowSince)}`;
}

function contributionText(c: PeerContribution): string {
  return [time(c.at), ...c.fields.map(text)].join(',');
}

function tierText(tier: string | null): string {
  if (tier === null) return '';
  return TIER_CODES.get(tier) ?? `=${text(tier)}`;
}

export function encodeState(state: ShareOfWalletState): string {
  try {
    return [
      VERSION,
      time(state.historyStart),
      tierText(state.valueTier),
      state.buckets.map(bucketText).join('|'),
      state.profiles.map((p) => `${time(p.effectiveAt)},${basisText(p.basis)}`).join('|'),
      Object.entries(state.alerts)
        .map(([key, alert]) => alertText(key, alert))
        .join('|'),
      state.contributions.map(contributionText).join('|'),
    ].join(';');
  } catch (error) {
    if (error instanceof NotCompact) return JSON.stringify(state);
    throw error;
  }
}

function malformed(what: string, encoded: string): Error {
  return new Error(`share-of-wallet state has a malformed ${what}: ${JSON.stringify(encoded.slice(0, 200))}`);
}

const INTEGER_36 = /^-?[0-9a-z]+$/;

function parseNum(s: string, encoded: string): number {
  const n = s.startsWith('~') ? Number(s.slice(1)) : INTEGER_36.test(s) ? Number.parseInt(s, 36) : Number.NaN;
  if (!Number.isFinite(n) || (!s.startsWith('~') && !Number.isSafeInteger(n)))
    throw malformed('number', encoded);
  return n;
}

function parseTime(s: string, encoded: string): number | null {
  if (s === '') return null;
  return s.startsWith('@') ? parseNum(s.slice(1), encoded) * DAY_MS : parseNum(s, encoded);
}

function parseRequiredTime(s: string | undefined, encoded: string): number {
  const t = parseTime(s ?? '', encoded);
  if (t === null) throw malformed('time', encoded);
  return t;
}

function parseText(s: string | undefined, encoded: string): string {
  if (s === undefined) throw malformed('text', encoded);
  try {
    return decodeURIComponent(s);
  } catch {
    throw malformed('text', encoded);
  }
}

const items = (section: string): string[] => (section === '' ? [] : section.split('|'));

function parseBucket(item: string, encoded: string): DayBucket {
  const [day, kcal, spend, ...usages] = item.split(',');
  if (kcal === undefined || spend === undefined) throw malformed('bucket', encoded);
  // fromEntries, not assignment: a unit named __proto__ stays a unit, as JSON.parse keeps it.
  const usage = Object.fromEntries(
    usages.map((u): [string, readonly [number, number]] => {
      const [unit, amount, paid, ...rest] = u.split(':');
      if (amount === undefined || paid === undefined || rest.length > 0) throw malformed('bucket', encoded);
      return [parseText(unit, encoded), [parseNum(amount, encoded), parseNum(paid, encoded)]];
    }),
  );
  return {
    day: parseRequiredTime(day, encoded),
    kcal: [parseNum(kcal, encoded), parseNum(spend, encoded)],
    usage,
  };
}

function parseProfile(item: string, encoded: string): ProfileVersion {
  const [at, kind, ...fields] = item.split(',');
  const effectiveAt = parseRequiredTime(at, encoded);
  let basis: ProfileBasis;
  if (kind === 'h') {
    const members = Object.fromEntries(
      fields.map((f): [string, number] => {
        const [band, count, ...rest] = f.split(':');
        if (count === undefined || rest.length > 0) throw malformed('household', encoded);
        return [parseText(band, encoded), parseNum(count, encoded)];
      }),
    );
    basis = { kind: 'household', members };
  } else if (kind === 'b' && fields.length === 2) {
    basis = {
      kind: 'business',
      headcount: parseNum(fields[0]!, encoded),
      industry: parseText(fields[1], encoded),
    };
  } else if (kind === 'u' && fields.length === 1) {
    basis = { kind: 'unusable', reason: parseText(fields[0], encoded) as UnusableReason };
  } else {
    throw malformed('profile', encoded);
  }
  return { effectiveAt, basis };
}

function parseAlert(item: string, encoded: string): [string, AlertState] {
  const [key, armed, last, below, ...rest] = item.split(',');
  if ((armed !== '1' && armed !== '0') || below === undefined || rest.length > 0)
    throw malformed('alert', encoded);
  return [
    parseText(key, encoded),
    { armed: armed === '1', lastAlertAt: parseTime(last!, encoded), belowSince: parseTime(below, encoded) },
  ];
}

function parseContribution(item: string, encoded: string): PeerContribution {
  const [at, ...fields] = item.split(',');
  return { at: parseRequiredTime(at, encoded), fields: fields.map((f) => parseText(f, encoded)) };
}

function parseTier(s: string, encoded: string): string | null {
  if (s === '') return null;
  if (s.startsWith('=')) return parseText(s.slice(1), encoded);
  const tier = TIERS_BY_CODE.get(s);
  if (tier === undefined) throw malformed('value tier', encoded);
  return tier;
}

export function decodeState(encoded: string): ShareOfWalletState {
  // Written by a release before the compact form (or a state with a number it cannot hold).
  if (encoded.startsWith('{')) return JSON.parse(encoded) as ShareOfWalletState;
  const sections = encoded.split(';');
  if (sections.length !== 7 || sections[0] !== VERSION) throw malformed('layout', encoded);
  const [, historyStart, tier, buckets, profiles, alerts, contributions] = sections as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    historyStart: parseTime(historyStart, encoded),
    buckets: items(buckets).map((b) => parseBucket(b, encoded)),
    profiles: items(profiles).map((p) => parseProfile(p, encoded)),
    alerts: Object.fromEntries(items(alerts).map((a) => parseAlert(a, encoded))),
    contributions: items(contributions).map((c) => parseContribution(c, encoded)),
    valueTier: parseTier(tier, encoded),
  };
}
