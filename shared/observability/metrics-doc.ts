import { writeFileSync } from 'node:fs';
import { type CatalogueEntry, FAMILIES, METRICS } from './metrics-catalogue.js';

// deploy/METRICS.md, generated from the catalogue (npx tsx shared/observability/metrics-doc.ts);
// a unit test fails when the file and the catalogue differ.

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function labels(entry: CatalogueEntry): string {
  const names = Object.entries(entry.labels);
  return names.length === 0 ? '—' : names.map(([name, values]) => `\`${name}\`: ${values}`).join('<br>');
}

function workers(entry: CatalogueEntry): string {
  return entry.workers === 'all' ? 'all' : entry.workers.join(', ');
}

function moves(entry: CatalogueEntry): string {
  return entry.movesOn === 'traffic' ? 'traffic' : `fault: ${entry.movesOn.fault}`;
}

export function metricsMarkdown(): string {
  const lines = [
    '# Metrics catalogue',
    '',
    '<!-- Generated from shared/observability/metrics-catalogue.ts by shared/observability/metrics-doc.ts. Do not edit. -->',
    '',
    'Every metric a valuestream worker serves on `/metrics` (port `METRICS_PORT`, default 9464). Each',
    'one also carries the label `worker` (value-segmentation, share-of-wallet, retention); Prometheus',
    'adds `job` and `instance`. Label values come from bounded sets: no customer id ever appears in a',
    'label. Histograms are exposed as `<name>_bucket`, `<name>_sum` and `<name>_count`.',
    '"Moves on" says what makes the metric change: ordinary traffic, or only a fault (each fault is',
    'induced by `test/integration/prometheus.test.ts`, which checks every metric below in a real',
    'Prometheus). Alert rules: `deploy/prometheus/alerts.yml`; dashboard:',
    '`deploy/grafana/valuestream-dashboard.json`.',
    '',
    '| Name | Type | Labels | Meaning | Workers | Moves on |',
    '| --- | --- | --- | --- | --- | --- |',
    ...METRICS.map(
      (m) =>
        `| \`${m.name}\` | ${m.type} | ${cell(labels(m))} | ${cell(m.meaning)} | ${workers(m)} | ${cell(moves(m))} |`,
    ),
    '',
    '## Families',
    '',
    '| Prefix | Meaning | Workers |',
    '| --- | --- | --- |',
    ...FAMILIES.map((f) => `| \`${f.prefix}*\` | ${cell(f.meaning)} | ${f.workers} |`),
    '',
  ];
  return lines.join('\n');
}

export const METRICS_DOC_PATH = new URL('../../deploy/METRICS.md', import.meta.url).pathname;

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  writeFileSync(METRICS_DOC_PATH, metricsMarkdown());
  process.stdout.write(`wrote ${METRICS_DOC_PATH}\n`);
}
