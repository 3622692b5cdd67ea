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
// Numbers, times (buckets and evaluations are on UTC day boundaries: '@' and a day number) and
// strings (units, keys, industries, counter fields) as shared/runtime/state-text.ts writes them;
// a tier is '' for none, a letter for the value tiers, '=' and the escaped text for any other.

import {
  listItems,
  NotCompact,
  numberText as num,
  StateTextReader,
  stringText as text,
  timeText as time,
} from '../../shared/runtime/state-text.js';
import type { DayBucket } from './consumption.js';
import type { ProfileBasis, ProfileVersion, UnusableReason } from './profile.js';
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

function parseBucket(item: string, read: StateTextReader): DayBucket {
  const [day, kcal, spend, ...usages] = item.split(',');
  // fromEntries, not assignment: a unit named __proto__ stays a unit, as JSON.parse keeps it.
  const usage = Object.fromEntries(
    usages.map((u): [string, readonly [number, number]] => {
      const [unit, amount, paid, ...rest] = u.split(':');
      if (rest.length > 0) throw read.malformed('bucket');
      return [read.string(unit), [read.number(amount), read.number(paid)]];
    }),
  );
  return { day: read.requiredTime(day), kcal: [read.number(kcal), read.number(spend)], usage };
}

function parseProfile(item: string, read: StateTextReader): ProfileVersion {
  const [at, kind, ...fields] = item.split(',');
  const effectiveAt = read.requiredTime(at);
  let basis: ProfileBasis;
  if (kind === 'h') {
    const members = Object.fromEntries(
      fields.map((f): [string, number] => {
        const [band, count, ...rest] = f.split(':');
        if (rest.length > 0) throw read.malformed('household');
        return [read.string(band), read.number(count)];
      }),
    );
    basis = { kind: 'household', members };
  } else if (kind === 'b' && fields.length === 2) {
    basis = { kind: 'business', headcount: read.number(fields[0]), industry: read.string(fields[1]) };
  } else if (kind === 'u' && fields.length === 1) {
    basis = { kind: 'unusable', reason: read.string(fields[0]) as UnusableReason };
  } else {
    throw read.malformed('profile');
  }
  return { effectiveAt, basis };
}

function parseAlert(item: string, read: StateTextReader): [string, AlertState] {
  const [key, armed, last, below, ...rest] = item.split(',');
  if ((armed !== '1' && armed !== '0') || rest.length > 0) throw read.malformed('alert');
  return [
    read.string(key),
    { armed: armed === '1', lastAlertAt: read.time(last), belowSince: read.time(below) },
  ];
}

function parseContribution(item: string, read: StateTextReader): PeerContribution {
  const [at, ...fields] = item.split(',');
  return { at: read.requiredTime(at), fields: fields.map((f) => read.string(f)) };
}

function parseTier(s: string, read: StateTextReader): string | null {
  if (s === '') return null;
  if (s.startsWith('=')) return read.string(s.slice(1));
  const tier = TIERS_BY_CODE.get(s);
  if (tier === undefined) throw read.malformed('value tier');
  return tier;
}

export function decodeState(encoded: string): ShareOfWalletState {
  // Written by a release before the compact form (or a state with a number it cannot hold).
  if (encoded.startsWith('{')) return JSON.parse(encoded) as ShareOfWalletState;
  const read = new StateTextReader('share-of-wallet state', encoded);
  const sections = encoded.split(';');
  if (sections.length !== 7 || sections[0] !== VERSION) throw read.malformed('layout');
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
    historyStart: read.time(historyStart),
    buckets: listItems(buckets, '|').map((b) => parseBucket(b, read)),
    profiles: listItems(profiles, '|').map((p) => parseProfile(p, read)),
    alerts: Object.fromEntries(listItems(alerts, '|').map((a) => parseAlert(a, read))),
    contributions: listItems(contributions, '|').map((c) => parseContribution(c, read)),
    valueTier: parseTier(tier, read),
  };
}
