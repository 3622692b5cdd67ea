// A failpoint for worker processes of the fault-injection suite, loaded with
// `node --import tsx --import ./test/faults/failpoint.ts <worker main>`. It subscribes to the
// runtime's step channel (shared/runtime/step-channel.ts) and sends the process a signal at the
// n-th time a boundary of the apply → produce → commit sequence is reached:
//
//   VS_FAILPOINT=after-apply@12:SIGKILL    killed right after Redis applied its 12th step
//   VS_FAILPOINT=before-apply@40:SIGSTOP   frozen with a step computed and not yet sent
//
// The signal is sent synchronously from inside the runtime's call, so the process stops exactly
// there, not "soon after" as a signal from outside would.
import diagnosticsChannel from 'node:diagnostics_channel';
import { writeSync } from 'node:fs';
import { STEP_CHANNEL, type StepBoundary, type StepMessage } from '../../shared/runtime/step-channel.js';
import { parseFailpoint } from './failpoint-spec.js';

const spec = process.env.VS_FAILPOINT ? parseFailpoint(process.env.VS_FAILPOINT) : null;
if (spec) {
  const seen = new Map<StepBoundary, number>();
  let fired = false;
  diagnosticsChannel.subscribe(STEP_CHANNEL, (message) => {
    const step = message as StepMessage;
    if (fired || step.boundary !== spec.boundary) return;
    const count = (seen.get(step.boundary) ?? 0) + 1;
    seen.set(step.boundary, count);
    if (count < spec.occurrence) return;
    fired = true;
    // Written synchronously: a SIGKILL leaves no chance to flush an asynchronous logger.
    writeSync(
      1,
      `${JSON.stringify({ level: 'warn', msg: 'failpoint reached', failpoint: spec, partition: step.partition, at: Date.now() })}\n`,
    );
    process.kill(process.pid, spec.signal);
  });
  // The run stops its workers with SIGTERM and wants a clean exit: a failpoint not reached by
  // then is disarmed, or the commits of the graceful stop could reach it (a kill at shutdown,
  // reported as a worker that did not stop cleanly). Before the worker handles SIGTERM itself,
  // the signal keeps its default action.
  const disarm = () => {
    fired = true;
    if (process.listenerCount('SIGTERM') === 1) {
      process.removeListener('SIGTERM', disarm);
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.on('SIGTERM', disarm);
}
