// `npm run verify:datasets` (Groceries part): the next-best-offer basket mining against arules'
// published figures on the real Groceries baskets (shared/data/groceries/SOURCE.md lists the file
// and every figure with its source). The baskets go the way a running worker's would: encoded
// into per-partition day counters (12 partitions by transaction id, one UTC day), then the view's
// path, window → weighted baskets → rules. `npm test` stays self-contained; this needs the data.
// test/datasets/groceries-through-kafka.ts makes the same checks on a real worker's own counters.
//
//   DATASETS_DIR  folder holding groceries/ (default ../shared/data; relative paths are resolved
//                 from the repo root)
//
// Prints one line per check (expected, got, tolerance, ok), the mining time per setting and the
// counters' state size, and exits 1 if any check fails.

import { basketField } from './basket-key.js';
import { readGroceryBaskets } from './groceries-baskets.js';
import { miningChecks, windowChecks } from './groceries-checks.js';
import { GROCERIES_TRANSACTIONS } from './groceries-published.js';
import { checkTable, checkVerdict, numberCheck } from './published-checks.js';

const PARTITIONS = 12;
/** The day the baskets are filed under (the data carry no timestamps): 2026-12-01 UTC. */
const BASKET_DAY = Date.UTC(2026, 11, 1) / 86_400_000;
const WINDOW_DAYS = 30;

/** The counters 12 partitions would hold: one field per distinct basket, per partition. */
function partitionCounters(baskets: ReadonlyMap<string, readonly string[]>): Record<string, number>[] {
  const partitions = Array.from({ length: PARTITIONS }, () => ({}) as Record<string, number>);
  for (const [id, items] of baskets) {
    const counters = partitions[Number(id) % PARTITIONS]!;
    const field = basketField(BASKET_DAY, items);
    counters[field] = (counters[field] ?? 0) + 1;
  }
  return partitions;
}

function main(): void {
  const transactions = new Map(
    [...readGroceryBaskets()].map(([id, items]) => [id, items.map((i) => i.item)] as const),
  );
  const partitions = partitionCounters(transactions);
  let stateBytes = 0;
  let fields = 0;
  for (const counters of partitions) {
    for (const [field, count] of Object.entries(counters)) {
      stateBytes += Buffer.byteLength(field) + String(count).length;
      fields += 1;
    }
  }

  const window = windowChecks(partitions, BASKET_DAY, WINDOW_DAYS);
  const mining = miningChecks(window.baskets);
  const checks = [
    numberCheck('transactions read', GROCERIES_TRANSACTIONS, transactions.size, 0),
    ...window.checks,
    ...mining.checks,
  ];

  for (const line of checkTable(checks)) console.log(line);
  console.log('');
  for (const line of mining.timings) console.log(line);
  console.log(
    `State: ${fields} counter fields over ${PARTITIONS} partitions, ${stateBytes} bytes ` +
      `(field names + values), ${window.baskets.length} distinct baskets.`,
  );
  console.log(checkVerdict(checks));
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}

try {
  main();
} catch (error) {
  console.error(`verify:datasets (groceries): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
