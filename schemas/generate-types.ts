// Writes shared/contracts/generated.ts from schemas/*.avsc. Run: npm run schemas:generate
// (shared/contracts/generated.test.ts fails when the committed file is out of date).

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSchemaFiles } from '../shared/avro/schema-files.js';
import { renderTypes } from '../shared/contracts/codegen.js';

export const GENERATED_TYPES_PATH: string = fileURLToPath(
  new URL('../shared/contracts/generated.ts', import.meta.url),
);

const files = readSchemaFiles();
writeFileSync(GENERATED_TYPES_PATH, renderTypes(files));
console.log(
  `wrote ${GENERATED_TYPES_PATH} from ${files.length} schemas: ${files.map((f) => f.name).join(', ')}`,
);
