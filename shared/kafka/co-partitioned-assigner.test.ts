import { describe, expect, it } from 'vitest';
import { coPartitionedAssignment } from './co-partitioned-assigner.js';

describe('co-partitioned assignment', () => {
  const topics = new Map([
    ['purchases', Array.from({ length: 12 }, (_, p) => p)],
    ['customer-profiles', Array.from({ length: 12 }, (_, p) => p)],
  ]);

  it('gives each partition number, with all its topics, to exactly one member', () => {
    for (const memberCount of [1, 2, 3, 5, 7, 12, 13]) {
      const members = Array.from({ length: memberCount }, (_, i) => `member-${i}`);
      const assignment = coPartitionedAssignment(members, topics);
      const owner = new Map<number, string>();
      for (const [member, byTopic] of assignment) {
        expect(byTopic.purchases ?? []).toEqual(byTopic['customer-profiles'] ?? []);
        for (const p of byTopic.purchases ?? []) {
          expect(owner.has(p), `partition ${p} owned twice`).toBe(false);
          owner.set(p, member);
        }
      }
      expect([...owner.keys()].sort((a, b) => a - b)).toEqual(topics.get('purchases'));
      const sizes = [...assignment.values()].map((t) => (t.purchases ?? []).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('does not depend on the order members are listed in', () => {
    const a = coPartitionedAssignment(['b', 'a', 'c'], topics);
    const b = coPartitionedAssignment(['c', 'b', 'a'], topics);
    expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
  });
});
