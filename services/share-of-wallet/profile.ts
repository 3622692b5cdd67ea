// The customer's profile as the share-of-wallet estimate needs it, versioned by event time: a
// profile change applies from its occurredAt on (SEMANTICS.md, "Inputs").

import type { AgeBand, CustomerProfile } from '../../shared/contracts/generated.js';

export type ProfileBasis =
  | { readonly kind: 'household'; readonly members: Readonly<Partial<Record<AgeBand, number>>> }
  | { readonly kind: 'business'; readonly headcount: number; readonly industry: string }
  | { readonly kind: 'unusable'; readonly reason: UnusableReason };

export type UnusableReason = 'empty-household' | 'missing-headcount';

export interface ProfileVersion {
  readonly effectiveAt: number;
  readonly basis: ProfileBasis;
}

export function profileBasisOf(profile: CustomerProfile): ProfileBasis {
  if (profile.customerType === 'BUSINESS') {
    const business = profile.business;
    if (business === null || business.headcount < 1) return { kind: 'unusable', reason: 'missing-headcount' };
    return { kind: 'business', headcount: business.headcount, industry: business.industry };
  }
  if (profile.householdMembers.length === 0) return { kind: 'unusable', reason: 'empty-household' };
  const members: Partial<Record<AgeBand, number>> = {};
  for (const { ageBand } of profile.householdMembers) members[ageBand] = (members[ageBand] ?? 0) + 1;
  return { kind: 'household', members };
}

/** Adds a version; among versions of the same time the one received last wins (kept after). */
export function addVersion(versions: readonly ProfileVersion[], added: ProfileVersion): ProfileVersion[] {
  const index = versions.findIndex((v) => v.effectiveAt > added.effectiveAt);
  return index < 0 ? [...versions, added] : [...versions.slice(0, index), added, ...versions.slice(index)];
}

/** The version in force at `time`: the last with effectiveAt <= time. */
export function profileAt(versions: readonly ProfileVersion[], time: number): ProfileVersion | null {
  let inForce: ProfileVersion | null = null;
  for (const version of versions) if (version.effectiveAt <= time) inForce = version;
  return inForce;
}

/** Keeps the version in force at `streamTime` and every later one; nothing earlier can matter. */
export function pruneVersions(
  versions: readonly ProfileVersion[],
  streamTime: number,
): readonly ProfileVersion[] {
  const inForce = profileAt(versions, streamTime);
  // The same array when every version is kept (most evaluations).
  if (versions.every((v) => v === inForce || v.effectiveAt > streamTime)) return versions;
  return versions.filter((v) => v === inForce || v.effectiveAt > streamTime);
}
