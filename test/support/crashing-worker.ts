import { loadValueSegmentationConfig } from '../../services/value-segmentation/config.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { runWorker } from '../../shared/runtime/run-worker.js';

// A value-segmentation worker with a planted bug: its timer decision throws for one customer
// (CRASH_ON_CUSTOMER). Used to show that a bug ends the process instead of leaving a consumer
// that retries forever or stops while the process looks healthy (PITFALLS 7). (A decision on a
// record that throws is not such a bug: the record is dead-lettered as INVALID_DECISION.)

const config = loadValueSegmentationConfig(process.env);
const crashOn = process.env.CRASH_ON_CUSTOMER ?? '';
const definition = createValueSegmentationWorker(config.settings);
await runWorker({
  definition: {
    ...definition,
    onTimer: (state, timer, ctx) => {
      if (timer.customerId === crashOn) throw new Error('planted bug in a timer decision');
      return definition.onTimer(state, timer, ctx);
    },
  },
  config: config.runtime,
});
