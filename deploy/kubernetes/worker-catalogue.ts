import { loadNextBestOfferConfig, nextBestOfferEnvSpec } from '../../services/next-best-offer/config.js';
import { createNextBestOfferWorker } from '../../services/next-best-offer/worker.js';
import { loadRetentionConfig, retentionEnvSpec } from '../../services/retention/config.js';
import { createRetentionWorker } from '../../services/retention/worker.js';
import { loadShareOfWalletConfig, shareOfWalletEnvSpec } from '../../services/share-of-wallet/config.js';
import { createShareOfWalletWorker } from '../../services/share-of-wallet/worker.js';
import {
  loadValueSegmentationConfig,
  valueSegmentationEnvSpec,
} from '../../services/value-segmentation/config.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import type { EnvSpec } from '../../shared/config/env.js';
import { type RuntimeConfig, runtimeEnvSpec } from '../../shared/config/runtime-config.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';

// Each worker as its main.ts starts it: the variables it declares, and the configuration and
// definition (name, inputs) it builds from an environment. The manifests are checked against
// these, so the group names, topics and variables come from the code, not from a copy.

export interface StartedWorker {
  readonly runtime: RuntimeConfig;
  readonly definition: WorkerDefinition<unknown, unknown, unknown>;
}

export interface CataloguedWorker {
  /** The worker's own variables; the runtime's apply to every worker. */
  readonly envSpec: EnvSpec;
  readonly start: (environment: Readonly<Record<string, string | undefined>>) => StartedWorker;
}

const asAny = (definition: unknown) => definition as WorkerDefinition<unknown, unknown, unknown>;

export const workerCatalogue: Record<string, CataloguedWorker> = {
  'value-segmentation': {
    envSpec: valueSegmentationEnvSpec,
    start: (environment) => {
      const config = loadValueSegmentationConfig(environment);
      return { runtime: config.runtime, definition: asAny(createValueSegmentationWorker(config.settings)) };
    },
  },
  'share-of-wallet': {
    envSpec: shareOfWalletEnvSpec,
    start: (environment) => {
      const config = loadShareOfWalletConfig(environment);
      return { runtime: config.runtime, definition: asAny(createShareOfWalletWorker(config.settings)) };
    },
  },
  retention: {
    envSpec: retentionEnvSpec,
    start: (environment) => {
      const config = loadRetentionConfig(environment);
      const definition = createRetentionWorker({
        settings: config.settings,
        policy: config.policy,
        ladder: config.ladder,
        partitionCount: config.runtime.TOPIC_PARTITIONS,
      });
      return { runtime: config.runtime, definition: asAny(definition) };
    },
  },
  'next-best-offer': {
    envSpec: nextBestOfferEnvSpec,
    start: (environment) => {
      const config = loadNextBestOfferConfig(environment);
      return { runtime: config.runtime, definition: asAny(createNextBestOfferWorker(config.settings)) };
    },
  },
};

/** Every variable a worker reads: the runtime's and its own. */
export function variablesOf(worker: CataloguedWorker): EnvSpec {
  return { ...runtimeEnvSpec, ...worker.envSpec };
}
