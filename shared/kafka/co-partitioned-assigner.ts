import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

// A worker with several inputs keeps one customer's state per partition number: partition p of
// purchases and partition p of customer-profiles must go to the same member (co-partitioning,
// as Kafka Streams requires). kafkajs's round-robin assigner spreads topic-partitions one by
// one and can split them; this one assigns partition *numbers*, each with all its topics.

export const CO_PARTITIONED_ASSIGNER = 'ValuestreamCoPartitioned';

/** Partition numbers per member, round robin over sorted member ids (pure, for tests). */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  partitionsByTopic: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const numbers = [...new Set([...partitionsByTopic.values()].flat())].sort((a, b) => a - b);
  const result = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]));
  numbers.forEach((partition, i) => {
    const assignment = result.get(members[i % members.length]!)!;
    for (const [topic, partitions] of partitionsByTopic) {
      if (!partitions.includes(partition)) continue;
      const list = assignment[topic] ?? [];
      list.push(partition);
      assignment[topic] = list;
    }
  });
  return result;
}

export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic = new Map(
      topics.map((topic) => [
        topic,
        cluster.findTopicPartitionMetadata(topic).map((m: { partitionId: number }) => m.partitionId),
      ]),
    );
    const assignment = coPartitionedAssignment(
      members.map((m) => m.memberId),
      partitionsByTopic,
    );
    return [...assignment].map(([memberId, byTopic]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: byTopic,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITIONED_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
