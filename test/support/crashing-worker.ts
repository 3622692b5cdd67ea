import { loadValueSegmentationConfig } from '../../services/value-segmentation/config.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { runWorker } from '../../shared/runtime/run-worker.js';

// A value-segmentation worker with a planted bug: its decision throws for one customer
// (CRASH_ON_CUSTOMER). Used to show that a bug ends the process instead of leaving a consumer
// that retries forever or stops while the process looks healthy (PITFALLS 7).

const config = loadValueSegmentationConfig(process.env);
const crashOn = process.env.CRASH_ON_CUSTOMER ?? '';
const definition = createValueSegmentationWorker(config.settings);
await runWorker({
  definition: {
    ...definition,
    decide: (state, input, ctx) => {
      if (input.customerId === crashOn) throw new Error('planted bug in a decision');
      return definition.decide(state, input, ctx);
    },
  },
  config: config.runtime,
});
