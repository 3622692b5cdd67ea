// Where the public data sets are (never copied into the repo): DATASETS_DIR, default
// ../shared/data, relative paths resolved from the repo root. Used by `npm run verify:datasets`,
// whose checks each read one data set folder (cdnow/, groceries/).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function datasetsDir(
  folder: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const repoRoot = fileURLToPath(new URL('../', import.meta.url));
  const configured = environment.DATASETS_DIR;
  const dir = resolve(
    repoRoot,
    configured === undefined || configured === '' ? '../shared/data' : configured,
  );
  if (!existsSync(join(dir, folder))) {
    throw new Error(
      `DATASETS_DIR: no ${folder}/ folder in ${dir}. Set DATASETS_DIR to the folder holding ${folder}/ ` +
        '(default ../shared/data, resolved from the repo root).',
    );
  }
  return dir;
}
