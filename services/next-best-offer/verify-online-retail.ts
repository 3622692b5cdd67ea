// `npm run verify:datasets` (Online Retail part): the backtest of issue 13. Trains on UCI Online
// Retail's months 1–11 (2010-12-01 … 2011-10-31), suggests as of 2011-11-01 and scores the
// suggestions against what the same customers bought in November 2011, beside a popularity and a
// random baseline under the same exclusion rule. The suggester is the offline stand-in of
// backtest/batch-suggestions.ts (seconds, and the --explore grid); the same backtest through the
// worker process itself is test/datasets/online-retail-through-kafka.ts (same figures).
//
//   DATASETS_DIR  folder holding online_retail/ (default ../shared/data, from the repo root)
//   --explore     also score a grid of settings (slower; not part of verify:datasets)
//
// Prints the counts, the table, the settings and the time taken; exits 1 when the suggester does
// not beat popularity on hit@10.

import { datasetsDir } from '../../shared/datasets-dir.js';
import { type StandInSettings, standInSuggester } from './backtest/batch-suggestions.js';
import {
  invoicesIn,
  type PartCounts,
  partCounts,
  readOnlineRetail,
  TEST_MONTH,
  TRAINING_MONTHS,
} from './backtest/online-retail.js';
import {
  basketsBefore,
  itemsByCustomer,
  pairedHits,
  popularItems,
  popularitySuggester,
  randomSuggester,
  type Score,
  type Suggester,
  scoreSuggester,
  testCustomers,
} from './backtest/score.js';
import { defaultNextBestOfferSettings } from './settings.js';

const KS = [3, 10] as const;
const SEED = 20111101;

/**
 * The worker's defaults, so that the figure is the one the worker would get out of the box (and
 * is not tuned on the test month); only topK is raised to the largest k scored.
 */
const SETTINGS: StandInSettings = {
  basketWindowDays: defaultNextBestOfferSettings.basketWindowDays,
  minSupport: defaultNextBestOfferSettings.minSupport,
  minConfidence: defaultNextBestOfferSettings.minConfidence,
  minRuleLength: defaultNextBestOfferSettings.minRuleLength,
  maxRuleLength: defaultNextBestOfferSettings.maxRuleLength,
  recentDays: defaultNextBestOfferSettings.recentDays,
  topK: Math.max(...KS),
};

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function describeCounts(name: string, c: PartCounts): string {
  return `${name.padEnd(10)} ${String(c.invoices).padStart(6)} invoices  ${String(c.customers).padStart(5)} customers  ${String(c.items).padStart(5)} items  ${String(c.lines).padStart(7)} lines`;
}

function row(name: string, s: Score): string {
  const cells = [s.hitAt[3]!, s.hitAt[10]!, s.precisionAt[3]!, s.precisionAt[10]!, s.coverage].map((v) =>
    pct(v).padStart(14),
  );
  return `${name.padEnd(24)}${cells.join('')}`;
}

const HEADER = `${'suggester'.padEnd(24)}${['hit@3', 'hit@10', 'precision@3', 'precision@10', 'coverage'].map((h) => h.padStart(14)).join('')}`;

function main(): void {
  const explore = process.argv.includes('--explore');
  const started = performance.now();
  const { invoices, counts } = readOnlineRetail(datasetsDir('online_retail'));
  const loaded = performance.now();
  const training = invoicesIn(invoices, TRAINING_MONTHS);
  const test = invoicesIn(invoices, TEST_MONTH);
  const boundary = TRAINING_MONTHS.to;
  const customers = testCustomers(training, test);
  const boughtInTest = itemsByCustomer(test);

  console.log(
    `Online Retail: ${counts.rows} rows, ${counts.kept} kept (dropped: ${counts.withoutCustomer} without CustomerID, ` +
      `${counts.cancelledOrAdjusted} C/A invoices, ${counts.quantityNotPositive} Quantity ≤ 0, ${counts.priceNotPositive} UnitPrice ≤ 0)`,
  );
  console.log(describeCounts('training', partCounts(training)));
  console.log(describeCounts('test', partCounts(test)));
  console.log(`test customers (a basket in both parts): ${customers.length}`);
  console.log('');

  const score = (suggest: Suggester) => scoreSuggester(customers, suggest, boughtInTest, KS);
  const baselines = (s: StandInSettings) => {
    const recent = itemsByCustomer(basketsBefore(training, boundary, s.recentDays));
    const popular = popularItems(basketsBefore(training, boundary, s.basketWindowDays));
    return {
      popularity: score(popularitySuggester(popular, recent, s.topK)),
      random: score(randomSuggester(popularItems(training), recent, s.topK, SEED)),
    };
  };

  const mineStarted = performance.now();
  // The one place the worker plugs in: its suggestions as of the boundary, `(customerId) => Item[]`.
  const standIn = standInSuggester(training, boundary, SETTINGS);
  const suggester = score(standIn.suggest);
  const rulesOnly = score(standIn.fromRules);
  const popular = popularitySuggester(
    popularItems(basketsBefore(training, boundary, SETTINGS.basketWindowDays)),
    itemsByCustomer(basketsBefore(training, boundary, SETTINGS.recentDays)),
    SETTINGS.topK,
  );
  const { popularity, random } = baselines(SETTINGS);
  // The rules fire only for customers who bought within recentDays, who buy more anyway: judge
  // them against popularity on those same customers.
  const ruleCustomers = customers.filter((id) => standIn.fromRules(id).length > 0);
  const onRuleCustomers = (suggest: Suggester) => scoreSuggester(ruleCustomers, suggest, boughtInTest, KS);
  const paired = pairedHits(customers, standIn.suggest, popular, boughtInTest, 10);
  const scored = performance.now();

  console.log(HEADER);
  console.log(row('suggester (stand-in)', suggester));
  console.log(row('popularity', popularity));
  console.log(row('random', random));
  console.log(`on the ${ruleCustomers.length} customers some rule fired for:`);
  console.log(row('  rules alone', onRuleCustomers(standIn.fromRules)));
  console.log(row('  popularity', onRuleCustomers(popular)));
  console.log(
    `hit@10, suggester vs popularity on the same customers: ${paired.onlyA} hit only by the suggester, ` +
      `${paired.onlyB} only by popularity (McNemar z = ${paired.z.toFixed(2)})`,
  );
  console.log(
    `(the rules alone over all test customers: hit@10 ${pct(rulesOnly.hitAt[10]!)}, coverage ${pct(rulesOnly.coverage)})`,
  );
  console.log('');
  console.log(
    `settings: window ${SETTINGS.basketWindowDays} d, minSupport ${SETTINGS.minSupport}, minConfidence ${SETTINGS.minConfidence}, ` +
      `rule length ${SETTINGS.minRuleLength}–${SETTINGS.maxRuleLength}, recentDays ${SETTINGS.recentDays}, ` +
      `top ${SETTINGS.topK} (rank.ts on the rules: lift × mean price × default margin share; then popularity), random seed ${SEED}`,
  );
  console.log(
    `mining: ${standIn.mining.baskets} baskets (${standIn.distinctBaskets} distinct) in the window, ` +
      `min count ${standIn.mining.minCount}, ${standIn.mining.rules.length} rules`,
  );
  console.log(
    `time: load ${((loaded - started) / 1000).toFixed(1)} s, mine + suggest + score ${((scored - mineStarted) / 1000).toFixed(1)} s`,
  );

  if (explore) exploreSettings(training, boundary, score, baselines);

  const margin = suggester.hitAt[10]! - popularity.hitAt[10]!;
  const beats = margin > 0;
  console.log(
    beats
      ? `The suggester beats popularity on hit@10 by ${(100 * margin).toFixed(1)} points.`
      : `FAIL: the suggester does not beat popularity on hit@10 (${pct(suggester.hitAt[10]!)} vs ${pct(popularity.hitAt[10]!)}).`,
  );
  process.exitCode = beats ? 0 : 1;
}

function exploreSettings(
  training: Parameters<typeof standInSuggester>[0],
  boundary: number,
  score: (suggest: Suggester) => Score,
  baselines: (s: StandInSettings) => { popularity: Score; random: Score },
): void {
  console.log('');
  console.log('explore: settings → hit@10 of the stand-in (rules alone) vs popularity; hit@3 likewise');
  // 335 days is every training month. maxLen barely matters here (a full grid showed at most 2
  // points between 2 and 4), so the grid keeps the default.
  for (const basketWindowDays of [28, 56, 91, 335]) {
    for (const recentDays of [14, 28, 56]) {
      const base = baselines({ ...SETTINGS, basketWindowDays, recentDays });
      for (const [minSupport, minConfidence] of EXPLORED_THRESHOLDS) {
        const s = { ...SETTINGS, basketWindowDays, recentDays, minSupport, minConfidence };
        const t = performance.now();
        const standIn = standInSuggester(training, boundary, s);
        const filled = score(standIn.suggest);
        const alone = score(standIn.fromRules);
        console.log(
          `window ${basketWindowDays} recent ${recentDays} supp ${minSupport} conf ${minConfidence} maxLen ${s.maxRuleLength}: ` +
            `rules ${standIn.mining.rules.length}; hit@10 ${pct(filled.hitAt[10]!)} (${pct(alone.hitAt[10]!)}) vs ${pct(base.popularity.hitAt[10]!)}; ` +
            `hit@3 ${pct(filled.hitAt[3]!)} (${pct(alone.hitAt[3]!)}) vs ${pct(base.popularity.hitAt[3]!)}; ` +
            `${((performance.now() - t) / 1000).toFixed(1)} s`,
        );
      }
    }
  }
}

/** (minSupport, minConfidence) pairs explored. */
const EXPLORED_THRESHOLDS: readonly (readonly [number, number])[] = [
  [0.005, 0.1],
  [0.005, 0.5],
  [0.01, 0.1],
  [0.01, 0.3],
  [0.01, 0.5],
  [0.02, 0.3],
];

try {
  main();
} catch (error) {
  console.error(`verify:datasets (online retail): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
