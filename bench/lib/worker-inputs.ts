import { loadRetentionConfig } from '../../services/retention/config.js';
import { createRetentionWorker } from '../../services/retention/worker.js';
import { defaultShareOfWalletSettings } from '../../services/share-of-wallet/settings.js';
import { createShareOfWalletWorker } from '../../services/share-of-wallet/worker.js';
import { valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import type { WorkerKind } from './workers.js';

/** A worker's input topics (logical names) and their schemas, from its own definition. */
export function inputsOf(
  kind: WorkerKind,
  partitions: number,
  retentionPolicyPath: string,
): Array<{ topic: string; schema: string }> {
  const definition =
    kind === 'value-segmentation'
      ? createValueSegmentationWorker(valueSegmentationSettings())
      : kind === 'share-of-wallet'
        ? createShareOfWalletWorker(defaultShareOfWalletSettings)
        : (() => {
            const config = loadRetentionConfig({
              RETENTION_OFFER_POLICY: retentionPolicyPath,
              TOPIC_PARTITIONS: String(partitions),
            });
            return createRetentionWorker({
              settings: config.settings,
              policy: config.policy,
              partitionCount: partitions,
              ladder: config.ladder,
            });
          })();
  return definition.inputs.map((i) => ({ topic: i.topic, schema: i.schema }));
}
