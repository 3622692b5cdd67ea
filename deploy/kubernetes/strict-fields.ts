import { join } from 'node:path';
import ts from 'typescript';
import type { Manifest } from './manifest-files.js';
import { isSupportedKind, kindKey, supportedKinds } from './schema-validation.js';

// Unknown fields: the API server rejects them (kubectl's default --validate=strict), but the
// OpenAPI schemas are open, so the schema validators let a misspelt `readinesProbe` through.
// The same publisher's TypeScript interfaces are closed: each object is written as an object
// literal of its kind's interface and type-checked, and an excess property is an error with
// its path. Maps such as labels and KEDA's trigger metadata are index signatures there, as in
// the API.

const virtualFile = join(import.meta.dirname, '__deployed_objects__.ts');

export interface FieldError {
  readonly manifest: string;
  readonly message: string;
}

export function unknownFieldErrors(manifests: readonly Manifest[]): FieldError[] {
  const imports: string[] = [];
  const objects: string[] = [];
  const ranges: { start: number; end: number; manifest: string }[] = [];
  const aliases = new Map<string, string>();
  let offset = 0;
  const header = () => `${imports.join('\n')}\n`;
  for (const manifest of manifests) {
    const key = kindKey(manifest.apiVersion, manifest.kind);
    if (!isSupportedKind(key)) continue;
    let alias = aliases.get(key);
    if (alias === undefined) {
      alias = `T${aliases.size}`;
      aliases.set(key, alias);
      imports.push(
        `import type { ${supportedKinds[key].type} as ${alias} } from '${supportedKinds[key].module}';`,
      );
    }
    const text = `export const object${objects.length}: ${alias} = ${JSON.stringify(manifest.body, null, 2)};\n`;
    ranges.push({
      start: offset,
      end: offset + text.length,
      manifest: `${manifest.file} ${manifest.kind}/${manifest.name}`,
    });
    objects.push(text);
    offset += text.length;
  }
  const prefix = header();
  const source = prefix + objects.join('');

  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === virtualFile
      ? ts.createSourceFile(fileName, source, languageVersion, true)
      : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === virtualFile || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (fileName === virtualFile ? source : readFile(fileName));

  const program = ts.createProgram([virtualFile], options, host);
  const sourceFile = program.getSourceFile(virtualFile)!;
  const diagnostics = [
    ...program.getSyntacticDiagnostics(sourceFile),
    ...program.getSemanticDiagnostics(sourceFile),
  ];
  return diagnostics.map((diagnostic) => {
    const at = (diagnostic.start ?? 0) - prefix.length;
    const range = ranges.find((r) => at >= r.start && at < r.end);
    return {
      manifest: range?.manifest ?? '(imports)',
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
    };
  });
}
