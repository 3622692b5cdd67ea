import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The Lua files are loaded as one Redis Functions library (FUNCTION LOAD): functions persist
// and replicate with the data, unlike EVALSHA's script cache that empties on restart, failover
// or SCRIPT FLUSH. The library and function names carry a hash of the code, so two versions
// of the workers never call each other's functions.

const luaDir = join(dirname(fileURLToPath(import.meta.url)), 'lua');

export const functionFiles = {
  claimPartition: { file: 'claim-partition-3.lua', keys: 3, readOnly: false },
  readPartition: { file: 'read-partition-3.lua', keys: 3, readOnly: true },
  applyBatch: { file: 'apply-batch-7.lua', keys: 7, readOnly: false },
  snapshotPopulation: { file: 'snapshot-population-3.lua', keys: 3, readOnly: false },
  ackOutbox: { file: 'ack-outbox-2.lua', keys: 2, readOnly: false },
} as const;

export type FunctionName = keyof typeof functionFiles;

export interface FunctionLibrary {
  readonly name: string;
  readonly code: string;
  readonly functionNames: Readonly<Record<FunctionName, string>>;
}

export function buildFunctionLibrary(): FunctionLibrary {
  const bodies = Object.entries(functionFiles).map(([name, spec]) => ({
    name,
    spec,
    body: readFileSync(join(luaDir, spec.file), 'utf8'),
  }));
  const version = createHash('sha256')
    .update(bodies.map((b) => b.body).join('\n'))
    .digest('hex')
    .slice(0, 10);
  const functionNames = {} as Record<FunctionName, string>;
  const parts = [`#!lua name=valuestream_${version}`];
  for (const { name, spec, body } of bodies) {
    const registered = `vs_${spec.file.replace(/-\d+\.lua$/, '').replace(/-/g, '_')}_${version}`;
    functionNames[name as FunctionName] = registered;
    const flags = spec.readOnly ? ", flags = { 'no-writes' }" : '';
    parts.push(
      `local function ${name}(KEYS, ARGV)\n${body}\nend`,
      `redis.register_function{ function_name = '${registered}', callback = ${name}${flags} }`,
    );
  }
  return { name: `valuestream_${version}`, code: parts.join('\n'), functionNames };
}
