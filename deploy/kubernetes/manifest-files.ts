import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

// Reads the kustomize base as the cluster receives it: every YAML document of every file under
// base/. The base applies no kustomize transformer, so these documents are the deployed objects.

export const baseDir: string = fileURLToPath(new URL('./base/', import.meta.url));

export interface Manifest {
  /** Path relative to base/. */
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

export function yamlFiles(dir: string = baseDir): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [relative(baseDir, path)] : [];
    })
    .sort();
}

/** Parses a YAML file strictly: a syntax error, a duplicate key or a warning fails the load. */
export function parseYamlFile(file: string): Record<string, unknown>[] {
  const text = readFileSync(join(baseDir, file), 'utf8');
  return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }).flatMap((document) => {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
    const value = document.toJS() as unknown;
    if (value === null) return [];
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: not a mapping`);
    return [value as Record<string, unknown>];
  });
}

export function loadManifests(): Manifest[] {
  return yamlFiles()
    .filter((file) => file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseYamlFile(file).map((body) => {
        const metadata = (body.metadata ?? {}) as { name?: unknown };
        return {
          file,
          apiVersion: String(body.apiVersion),
          kind: String(body.kind),
          name: String(metadata.name),
          body,
        };
      }),
    );
}
