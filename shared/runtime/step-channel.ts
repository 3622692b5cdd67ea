import diagnosticsChannel from 'node:diagnostics_channel';

// The boundaries of the apply → produce → commit sequence, published on a Node diagnostics
// channel (the way undici and node:http publish theirs). Nothing listens in production and a
// publish without subscribers costs a property check; tools that must act at an exact point of
// the sequence subscribe: the fault-injection suite stops or kills the process there
// (test/faults/failpoint.ts), a tracer could time the steps.

export const STEP_CHANNEL = 'valuestream.step';

export type StepBoundary =
  /** A step's writes are computed; the atomic Redis apply is about to be sent. */
  | 'before-apply'
  /** Redis applied the step (state, offset, outbox) and answered. */
  | 'after-apply'
  /** The outbox of the step(s) was produced to Kafka (not yet trimmed, not yet committed). */
  | 'after-produce'
  /** The Kafka offset past the batch was committed. */
  | 'after-commit';

export interface StepMessage {
  readonly boundary: StepBoundary;
  readonly partition: number;
}

const channel = diagnosticsChannel.channel(STEP_CHANNEL);

export function publishStep(boundary: StepBoundary, partition: number): void {
  if (channel.hasSubscribers) channel.publish({ boundary, partition } satisfies StepMessage);
}
