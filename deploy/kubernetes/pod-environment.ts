import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type { Manifest } from './manifest-files.js';

// The environment a worker container would see, built from its Deployment and the base's
// ConfigMaps, and its mounted files written under a temporary directory, so that the worker's
// own configuration loader can be run on exactly what the manifests configure.

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
export interface VolumeMount {
  name: string;
  mountPath: string;
}
export interface Volume {
  name: string;
  emptyDir?: object;
  configMap?: { name: string };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: VolumeMount[];
  ports?: { name?: string; containerPort: number }[];
  [field: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  [field: string]: unknown;
}

export function podSpecOf(deployment: Manifest): PodSpec {
  return (deployment.body as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function configMapData(manifests: readonly Manifest[], name: string): Record<string, string> {
  const found = manifests.find((m) => m.kind === 'ConfigMap' && m.name === name);
  if (!found) throw new Error(`no ConfigMap ${name} in the base`);
  return (found.body.data ?? {}) as Record<string, string>;
}

/** Variable name → where its value comes from, in Kubernetes' precedence (env over envFrom). */
export function declaredVariables(manifests: readonly Manifest[], container: Container): Map<string, string> {
  const sources = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      for (const name of Object.keys(configMapData(manifests, from.configMapRef.name)))
        sources.set(name, `ConfigMap ${from.configMapRef.name}`);
    }
    if (from.secretRef) throw new Error('envFrom a Secret hides which variables it sets; use env entries');
  }
  for (const variable of container.env ?? []) sources.set(variable.name, `env of ${container.name}`);
  return sources;
}

/** The mount whose path holds `path`, if any. */
export function mountHolding(container: Container, path: string): VolumeMount | undefined {
  return (container.volumeMounts ?? []).find(
    (mount) => path === mount.mountPath || path.startsWith(`${mount.mountPath}/`),
  );
}

export interface MaterializedPod {
  /** The container's environment as the manifests give it. */
  readonly declared: Readonly<Record<string, string>>;
  /** The same, with mounted paths moved into `root`, where their files are written. */
  readonly environment: Record<string, string>;
  readonly root: string;
}

/** Where a file in a mount comes from: the ConfigMap or Secret, and its key. */
export function fileSource(
  pod: PodSpec,
  container: Container,
  path: string,
): { kind: 'configMap' | 'secret'; name: string; key: string } | undefined {
  const mount = mountHolding(container, path);
  const volume = (pod.volumes ?? []).find((v) => v.name === mount?.name);
  if (!mount || !volume) return undefined;
  const relativePath = posix.relative(mount.mountPath, path);
  if (volume.configMap) return { kind: 'configMap', name: volume.configMap.name, key: relativePath };
  if (volume.secret) {
    const items = volume.secret.items;
    const key = items === undefined ? relativePath : items.find((item) => item.path === relativePath)?.key;
    return key === undefined ? undefined : { kind: 'secret', name: volume.secret.secretName, key };
  }
  return undefined;
}

// The base holds no secrets: a Secret's file gets a stand-in of the right form, since the
// configuration loader checks that a CA file holds a PEM certificate.
function placeholderFile(key: string): string {
  if (/\.(crt|pem)$/.test(key))
    return '-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n';
  if (/\.key$/.test(key)) return '-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n';
  return 'placeholder\n';
}

/**
 * Builds the container's environment. A Secret's value is a placeholder (the base holds no
 * secrets): the variable's documented default when it is not empty, else `placeholder`. Absolute
 * paths in values that fall inside a mount are moved under a temporary root where the file is
 * written: a ConfigMap key with its data, a Secret key with a stand-in.
 */
export function materializePod(
  manifests: readonly Manifest[],
  pod: PodSpec,
  container: Container,
  defaults: Readonly<Record<string, string | undefined>>,
): MaterializedPod {
  const root = mkdtempSync(join(tmpdir(), 'valuestream-pod-'));
  const environment: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(environment, configMapData(manifests, from.configMapRef.name));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.valueFrom?.configMapKeyRef && ref) {
      environment[variable.name] = configMapData(manifests, ref.name)[ref.key] ?? '';
    } else if (ref) {
      environment[variable.name] = defaults[variable.name] || 'placeholder';
    } else {
      environment[variable.name] = variable.value ?? '';
    }
  }
  const declared = { ...environment };
  for (const [name, value] of Object.entries(declared)) {
    if (!posix.isAbsolute(value)) continue;
    const source = fileSource(pod, container, value);
    if (!source) continue;
    const content =
      source.kind === 'configMap'
        ? (configMapData(manifests, source.name)[source.key] ?? '')
        : placeholderFile(source.key);
    const target = join(root, value);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    environment[name] = target;
  }
  return { declared, environment, root };
}
