import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../shared/observability/http-server.js';
import { loadManifests, type Manifest, parseYamlFile, yamlFiles } from './manifest-files.js';
import {
  configMapData,
  declaredVariables,
  fileSource,
  materializePod,
  podSpecOf,
} from './pod-environment.js';
import { schemaErrors } from './schema-validation.js';
import { unknownFieldErrors } from './strict-fields.js';
import { type StartedWorker, variablesOf, workerCatalogue } from './worker-catalogue.js';

// The kustomize base checked against the Kubernetes and KEDA schemas, and against the code:
// every worker is deployed, probed on the paths its HTTP server answers, scaled on the group
// and topics it consumes, and configured only with variables it declares, with values its
// own configuration loader accepts.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const manifests = loadManifests();
const temporaryRoots: string[] = [];
afterAll(() => {
  for (const root of temporaryRoots) rmSync(root, { recursive: true, force: true });
});

function one(kind: string, name: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
}

const servicesWithWorkers = readdirSync(join(repoRoot, 'services')).filter((dir) =>
  existsSync(join(repoRoot, 'services', dir, 'worker.ts')),
);

/** The worker as its main.ts would start it in the pod the Deployment describes. */
function startedInPod(worker: string): {
  started: StartedWorker;
  declared: Readonly<Record<string, string>>;
  environment: Record<string, string>;
} {
  const pod = podSpecOf(one('Deployment', worker));
  const container = pod.containers[0]!;
  const defaults = Object.fromEntries(
    Object.entries(variablesOf(workerCatalogue[worker]!)).map(([name, v]) => [name, v.default]),
  );
  const { declared, environment, root } = materializePod(manifests, pod, container, defaults);
  temporaryRoots.push(root);
  return { started: workerCatalogue[worker]!.start(environment), declared, environment };
}

describe('the kustomize base', () => {
  it('lists every YAML file under base/ as a resource, and nothing else', () => {
    const [kustomization] = parseYamlFile('kustomization.yaml');
    const resources = [...((kustomization?.resources as string[]) ?? [])].sort();
    expect(resources).toEqual(yamlFiles().filter((file) => file !== 'kustomization.yaml'));
    // Namespace-agnostic, and no transformer: the files are what reaches the cluster.
    for (const field of ['namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'labels', 'patches'])
      expect(kustomization, field).not.toHaveProperty(field);
    for (const manifest of manifests)
      expect(manifest.body.metadata, manifest.file).not.toHaveProperty('namespace');
  });

  it.each(manifests.map((m) => [`${m.file} ${m.kind}/${m.name}`, m] as const))(
    '%s is valid against its schema',
    (_, manifest) => {
      expect(schemaErrors(manifest.body)).toEqual([]);
    },
  );

  // Type-checking takes a few seconds of CPU (longer on a busy machine).
  const compileTimeoutMs = 60_000;

  it('has no field its kind does not define', { timeout: compileTimeoutMs }, () => {
    expect(unknownFieldErrors(manifests)).toEqual([]);
  });

  it('would catch a wrong type and a misspelt field (the checks above can fail)', {
    timeout: compileTimeoutMs,
  }, () => {
    const deployment = structuredClone(one('Deployment', 'value-segmentation'));
    const container = podSpecOf(deployment).containers[0]!;
    container.ports = [{ name: 'metrics', containerPort: '9464' as unknown as number }];
    expect(schemaErrors(deployment.body).join()).toMatch(/containerPort must be integer/);
    const misspelt = structuredClone(one('Deployment', 'value-segmentation'));
    podSpecOf(misspelt).containers[0]!.readinesProbe = podSpecOf(misspelt).containers[0]!.readinessProbe;
    expect(schemaErrors(misspelt.body)).toEqual([]);
    expect(
      unknownFieldErrors([misspelt])
        .map((e) => e.message)
        .join(),
    ).toMatch(/readinesProbe/);
  });
});

describe('every worker', () => {
  it('is deployed: each worker in services/ has its manifests, and no other Deployment exists', () => {
    expect(Object.keys(workerCatalogue).sort()).toEqual([...servicesWithWorkers].sort());
    expect(
      manifests
        .filter((m) => m.kind === 'Deployment')
        .map((m) => m.name)
        .sort(),
    ).toEqual([...servicesWithWorkers].sort());
    for (const worker of servicesWithWorkers) {
      one('PodDisruptionBudget', worker);
      one('ScaledObject', worker);
      one('Service', `${worker}-metrics`);
      one('TriggerAuthentication', `${worker}-kafka`);
    }
  });

  describe.each(Object.keys(workerCatalogue))('%s', (worker) => {
    const deployment = one('Deployment', worker);
    const spec = deployment.body.spec as {
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    };
    const podLabels = spec.template.metadata.labels;
    const pod = podSpecOf(deployment);
    const container = pod.containers[0]!;

    it('runs its main.ts, as the npm script does, from the image built from this version', () => {
      const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
      const main = `services/${worker}/main.ts`;
      expect(existsSync(join(repoRoot, main))).toBe(true);
      // With the Node options the image sets for every worker (a larger young generation).
      const dockerfile = readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8');
      const nodeOptions = /^ENV NODE_OPTIONS=(\S+)\s*$/m.exec(dockerfile)?.[1];
      expect(nodeOptions).toBe('--max-semi-space-size=32');
      expect(packageJson.scripts[`worker:${worker}`]).toBe(
        `NODE_OPTIONS="${nodeOptions} $NODE_OPTIONS" tsx ${main}`,
      );
      expect(container.command).toEqual(['node', '--max-old-space-size=256', '--import', 'tsx', main]);
      expect(container.image).toBe(`valuestream:${packageJson.version}`);
      expect(pod.containers).toHaveLength(1);
    });

    it('sets only variables the worker declares, and its configuration loader accepts them', () => {
      const declared = variablesOf(workerCatalogue[worker]!);
      for (const [name, source] of declaredVariables(manifests, container))
        expect(Object.hasOwn(declared, name), `${name} (from ${source}) is not declared by ${worker}`).toBe(
          true,
        );
      expect(() => startedInPod(worker)).not.toThrow();
    });

    it('reads mounted files only from volumes the pod has, with the keys they hold', () => {
      const { declared, environment } = startedInPod(worker);
      const fileVariables = Object.keys(declared).filter(
        (name) => name.endsWith('_FILE') || name === 'RETENTION_OFFER_POLICY',
      );
      expect(fileVariables.length).toBeGreaterThan(0);
      for (const name of fileVariables) {
        if (declared[name] === '') continue;
        const source = fileSource(pod, container, declared[name]!);
        expect(
          source,
          `${name}=${declared[name]} is not a key of a mounted ConfigMap or Secret`,
        ).toBeDefined();
        if (source!.kind === 'configMap')
          expect(Object.keys(configMapData(manifests, source!.name))).toContain(source!.key);
        expect(existsSync(environment[name]!)).toBe(true);
      }
    });

    it('is probed on the paths and port its HTTP server answers', async () => {
      const { started } = startedInPod(worker);
      const metrics = container.ports?.find((p) => p.name === 'metrics');
      expect(metrics?.containerPort).toBe(started.runtime.METRICS_PORT);
      expect(spec.template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(started.runtime.METRICS_PORT),
        'prometheus.io/path': '/metrics',
      });
      type Probe = { httpGet: { path: string; port: string | number } };
      const { livenessProbe, readinessProbe, startupProbe } = container as unknown as Record<string, Probe>;
      const probes = {
        livenessProbe: livenessProbe!,
        readinessProbe: readinessProbe!,
        startupProbe: startupProbe!,
      };
      for (const probe of Object.values(probes)) {
        expect(probe?.httpGet).toBeDefined();
        expect([metrics?.name, metrics?.containerPort]).toContain(probe.httpGet.port);
      }

      // The runtime's own server, with probe answers the test controls.
      const state = { healthy: true, ready: true };
      const server = await startHttpServer({
        host: '127.0.0.1',
        port: 0,
        registry: new Registry(),
        probes: {
          healthy: () => state.healthy,
          readiness: () => ({ ready: state.ready, reason: state.ready ? 'consuming' : 'not a member' }),
        },
      });
      const status = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
      try {
        for (const probe of Object.values(probes)) expect(await status(probe.httpGet.path)).toBe(200);
        state.ready = false;
        expect(await status(probes.readinessProbe.httpGet.path)).toBe(503);
        expect(await status(probes.livenessProbe.httpGet.path)).toBe(200);
        state.healthy = false;
        expect(await status(probes.livenessProbe.httpGet.path)).toBe(503);
        expect(await status(probes.startupProbe.httpGet.path)).toBe(503);
        expect(await status(spec.template.metadata.annotations['prometheus.io/path']!)).toBe(200);
      } finally {
        await server.close();
      }
    });

    it('gives the graceful shutdown its whole bound before SIGKILL', () => {
      const { started } = startedInPod(worker);
      expect(Number(pod.terminationGracePeriodSeconds) * 1000).toBeGreaterThan(
        started.runtime.SHUTDOWN_TIMEOUT_MS,
      );
    });

    it('bounds the heap below the memory limit: old space, young generation and room for native memory', () => {
      const dockerfile = readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8');
      const semiSpaceMiB = Number(/--max-semi-space-size=(\d+)/.exec(dockerfile)?.[1]);
      const oldSpaceMiB = Number(/^--max-old-space-size=(\d+)$/.exec(container.command?.[1] ?? '')?.[1]);
      const resources = container.resources as { limits?: { memory?: string } } | undefined;
      const limit = /^(\d+)Mi$/.exec(String(resources?.limits?.memory));
      expect(semiSpaceMiB).toBeGreaterThan(0);
      expect(oldSpaceMiB).toBeGreaterThan(0);
      expect(limit).not.toBeNull();
      // V8's young generation is three semi-spaces; native memory (buffers, code, tsx) ~100 MB.
      expect(oldSpaceMiB + 3 * semiSpaceMiB + 128).toBeLessThanOrEqual(Number(limit![1]));
    });

    it('runs as the image user, non-root, on a read-only root file system, with /tmp writable', () => {
      const dockerfile = readFileSync(join(repoRoot, 'deploy/Dockerfile'), 'utf8');
      const imageUser = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(dockerfile);
      const podSecurity = pod.securityContext as Record<string, unknown>;
      expect(podSecurity).toMatchObject({ runAsNonRoot: true, runAsUser: Number(imageUser?.[1]) });
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(container.resources).toMatchObject({ requests: {}, limits: {} });
    });

    it('selects its own pods in the Deployment, Service, PodDisruptionBudget and spread constraints', () => {
      const selects = (selector: Record<string, string>) =>
        Object.entries(selector).every(([label, value]) => podLabels[label] === value);
      expect(selects(spec.selector.matchLabels)).toBe(true);
      const service = one('Service', `${worker}-metrics`).body.spec as {
        selector: Record<string, string>;
        ports: { targetPort: string }[];
      };
      expect(service.selector).toEqual(spec.selector.matchLabels);
      expect(service.ports.map((p) => p.targetPort)).toEqual(['metrics']);
      const budget = one('PodDisruptionBudget', worker).body.spec as {
        selector: { matchLabels: Record<string, string> };
        maxUnavailable: number;
      };
      expect(budget.selector.matchLabels).toEqual(spec.selector.matchLabels);
      expect(budget.maxUnavailable).toBe(1);
      const spread = pod.topologySpreadConstraints as {
        labelSelector: { matchLabels: Record<string, string> };
      }[];
      expect(spread.length).toBeGreaterThan(0);
      for (const constraint of spread)
        expect(constraint.labelSelector.matchLabels).toEqual(spec.selector.matchLabels);
    });

    it("scales on the lag of the worker's own group over its input topics, up to the partition count", () => {
      const { started } = startedInPod(worker);
      const { runtime, definition } = started;
      const scaled = one('ScaledObject', worker).body.spec as {
        scaleTargetRef: { name: string; kind?: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
      };
      expect(scaled.scaleTargetRef.name).toBe(deployment.name);
      expect(scaled.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      expect(scaled.minReplicaCount).toBe(1);
      expect(scaled.maxReplicaCount).toBe(runtime.TOPIC_PARTITIONS);
      expect(definition.name).toBe(worker);

      const inputTopics = definition.inputs.map((input) => `${runtime.TOPIC_PREFIX}${input.topic}`).sort();
      expect(scaled.triggers.map((t) => t.metadata.topic).sort()).toEqual(inputTopics);
      for (const trigger of scaled.triggers) {
        expect(trigger.type).toBe('kafka');
        expect(trigger.metadata.consumerGroup).toBe(`${runtime.CONSUMER_GROUP_PREFIX}.${definition.name}`);
        expect(trigger.metadata.bootstrapServers).toBe(runtime.KAFKA_BROKERS.join(','));
        expect(trigger.metadata.offsetResetPolicy).toBe(runtime.FROM_BEGINNING ? 'earliest' : 'latest');
        expect(Number(trigger.metadata.lagThreshold)).toBeGreaterThan(0);
        expect(trigger.metadata).not.toHaveProperty('allowIdleConsumers');
        one('TriggerAuthentication', trigger.authenticationRef?.name ?? '(none)');
      }
    });

    it('lets KEDA log in as the worker does: same TLS, SASL mechanism, user, password and CA', () => {
      const { started, declared } = startedInPod(worker);
      const { kafkaSecurity } = started.runtime;
      const saslOfKeda = {
        none: undefined,
        plain: 'plaintext',
        'scram-sha-256': 'scram_sha256',
        'scram-sha-512': 'scram_sha512',
      };
      const scaled = one('ScaledObject', worker).body.spec as {
        triggers: { metadata: Record<string, string>; authenticationRef: { name: string } }[];
      };
      const sourceOf = (variable: string) => {
        const ref = container.env?.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
        if (ref) return { name: ref.name, key: ref.key };
        const file = fileSource(pod, container, declared[variable] ?? '');
        return file && { name: file.name, key: file.key };
      };
      for (const trigger of scaled.triggers) {
        expect(trigger.metadata.tls === 'enable').toBe(kafkaSecurity.ssl !== undefined);
        expect(trigger.metadata.sasl).toBe(
          saslOfKeda[declared.KAFKA_SASL_MECHANISM as keyof typeof saslOfKeda],
        );
        const auth = one('TriggerAuthentication', trigger.authenticationRef.name).body.spec as {
          secretTargetRef: { parameter: string; name: string; key: string }[];
        };
        const parameter = (name: string) => {
          const ref = auth.secretTargetRef.find((r) => r.parameter === name);
          return ref && { name: ref.name, key: ref.key };
        };
        if (kafkaSecurity.sasl) {
          expect(parameter('username')).toEqual(sourceOf('KAFKA_SASL_USERNAME'));
          expect(parameter('password')).toEqual(sourceOf('KAFKA_SASL_PASSWORD_FILE'));
        }
        if (declared.KAFKA_SSL_CA_FILE) expect(parameter('ca')).toEqual(sourceOf('KAFKA_SSL_CA_FILE'));
      }
    });
  });
});

describe('the retention offer policy', () => {
  it("is the repository's default policy, verbatim", () => {
    const data = configMapData(manifests, 'valuestream-retention-offer-policy');
    const repositoryPolicy = readFileSync(join(repoRoot, 'deploy/retention-offer-policy.json'), 'utf8');
    expect(JSON.parse(data['retention-offer-policy.json']!)).toEqual(JSON.parse(repositoryPolicy));
  });

  it('is where the retention pods read it', () => {
    const { environment } = startedInPod('retention');
    expect(readFileSync(environment.RETENTION_OFFER_POLICY!, 'utf8')).toBe(
      configMapData(manifests, 'valuestream-retention-offer-policy')['retention-offer-policy.json'],
    );
  });
});
