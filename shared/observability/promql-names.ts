// Metric names out of PromQL, and the PromQL out of Prometheus rule files and Grafana dashboards:
// enough of each to check that alerts and panels only use catalogued metrics (no YAML or PromQL
// parser among the dependencies; the rule files here are plain).

/** The `expr:` values of a Prometheus rules file (plain, or folded `>-` / literal `|` blocks). */
export function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)(?:-\s+)?expr:\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    const value = match[2]!.trim();
    if (value !== '' && !/^[>|]-?$/.test(value)) {
      exprs.push(value.replace(/^(['"])(.*)\1$/, '$2'));
      continue;
    }
    const indent = match[1]!.length;
    const block: string[] = [];
    while (
      i + 1 < lines.length &&
      (lines[i + 1]!.trim() === '' || /^\s*/.exec(lines[i + 1]!)![0].length > indent)
    )
      block.push(lines[++i]!.trim());
    exprs.push(block.join(' ').trim());
  }
  return exprs;
}

/** Every `expr` of a dashboard (panel targets, rows' panels, annotations) and its label_values queries. */
export function dashboardExpressions(dashboard: unknown): string[] {
  const exprs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') exprs.push(value);
      else if (key === 'query' && typeof value === 'string' && value.startsWith('label_values('))
        exprs.push(value.replace(/^label_values\((.*),\s*\w+\)$/, '$1'));
      else walk(value);
    }
  };
  walk(dashboard);
  return exprs;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
/** Series Prometheus makes itself. */
export const BUILTIN_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds']);

/** Metric names an expression selects: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(m[0].toLowerCase())) continue;
    // Duration and number literals' letters (1e3, 5m) never start an identifier match here,
    // except after digits: skip identifiers glued to a preceding digit.
    if (m.index! > 0 && /[0-9.]/.test(bare[m.index! - 1]!)) continue;
    names.push(m[0]);
  }
  return names;
}
