import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The Lua files are loaded as one Redis Functions library (FUNCTION LOAD): functions persist
// and replicate with the data, unlike EVALSHA's script cache that empties on restart, failover
// or SCRIPT FLUSH. The library and function names carry a hash of the whole generated library
// (every script's body, and how it is registered: keys, flags), so two versions of the workers
// never call each other's functions, and a changed script is a new library: on a Redis that
// still holds an older one, the new workers load theirs at start-up (FunctionCaller.load) and
// again whenever their functions are missing, while the old library stays for the old workers
// still running (a rolling deploy). Old libraries are never deleted here: each is a few kB, and
// `FUNCTION DELETE valuestream_<hash>` removes one no worker runs any more.

const luaDir = join(dirname(fileURLToPath(import.meta.url)), 'lua');
/** Helpers every function may call, loaded first in the library. */
const PRELUDE = 'library-prelude.lua';

export const functionFiles = {
  claimPartition: { file: 'claim-partition-5.lua', keys: 5, readOnly: false },
  readPartition: { file: 'read-partition-6.lua', keys: 6, readOnly: true },
  applyBatch: { file: 'apply-batch-11.lua', keys: 10, readOnly: false },
  ackOutbox: { file: 'ack-outbox-2.lua', keys: 2, readOnly: false },
  readIndexRanges: { file: 'read-index-ranges-3.lua', keys: 3, readOnly: true },
  // One key per view, as many as are agreed on at once.
  agreeViews: { file: 'agree-views-1.lua', keys: 'any', readOnly: false },
} as const;

export type FunctionName = keyof typeof functionFiles;

export interface FunctionLibrary {
  readonly name: string;
  readonly code: string;
  readonly functionNames: Readonly<Record<FunctionName, string>>;
}

const VERSION = '__VERSION__';

/**
 * The library of the Lua files (`readBody` reads one by file name; tests pass other bodies to
 * stand for an older version of the library).
 */
export function buildFunctionLibrary(
  readBody: (file: string) => string = (file) => readFileSync(join(luaDir, file), 'utf8'),
): FunctionLibrary {
  const parts = [`#!lua name=valuestream_${VERSION}`, readBody(PRELUDE)];
  const registered = {} as Record<FunctionName, string>;
  for (const [name, spec] of Object.entries(functionFiles) as Array<
    [FunctionName, (typeof functionFiles)[FunctionName]]
  >) {
    registered[name] = `vs_${spec.file.replace(/-\d+\.lua$/, '').replace(/-/g, '_')}_${VERSION}`;
    const flags = spec.readOnly ? ", flags = { 'no-writes' }" : '';
    parts.push(
      `local function ${name}(KEYS, ARGV)\n${readBody(spec.file)}\nend`,
      `redis.register_function{ function_name = '${registered[name]}', callback = ${name}${flags} }`,
    );
  }
  const template = parts.join('\n');
  const version = createHash('sha256').update(template).digest('hex').slice(0, 10);
  const functionNames = {} as Record<FunctionName, string>;
  for (const name of Object.keys(registered) as FunctionName[]) {
    functionNames[name] = registered[name].replace(VERSION, version);
  }
  return {
    name: `valuestream_${version}`,
    code: template.replaceAll(VERSION, version),
    functionNames,
  };
}
