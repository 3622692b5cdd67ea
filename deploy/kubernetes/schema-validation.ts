import type { ModelData } from '@kubernetes-models/base';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';

// Schema validation against the Kubernetes OpenAPI (kubernetes-models) and KEDA's API types
// (@kubernetes-models/keda), both compiled to ajv validators by their publisher. They check
// types, enums, formats and required fields; unknown fields pass them (the OpenAPI schemas
// are open), which strict-fields.ts covers.

interface Validatable {
  validate(): void;
}

/** The kinds the base may contain, with the model type strict-fields.ts checks each against. */
export const supportedKinds = {
  'v1/ConfigMap': {
    create: (d) => new ConfigMap(d as never),
    module: 'kubernetes-models/v1/ConfigMap',
    type: 'IConfigMap',
  },
  'v1/Service': {
    create: (d) => new Service(d as never),
    module: 'kubernetes-models/v1/Service',
    type: 'IService',
  },
  'apps/v1/Deployment': {
    create: (d) => new Deployment(d as never),
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'policy/v1/PodDisruptionBudget': {
    create: (d) => new PodDisruptionBudget(d as never),
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'keda.sh/v1alpha1/ScaledObject': {
    create: (d) => new ScaledObject(d as ModelData<never>),
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    type: 'IScaledObject',
  },
  'keda.sh/v1alpha1/TriggerAuthentication': {
    create: (d) => new TriggerAuthentication(d as ModelData<never>),
    module: '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication',
    type: 'ITriggerAuthentication',
  },
} satisfies Record<string, { create: (data: unknown) => Validatable; module: string; type: string }>;

export type SupportedKind = keyof typeof supportedKinds;

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

export function isSupportedKind(key: string): key is SupportedKind {
  return Object.hasOwn(supportedKinds, key);
}

/** Schema errors of one object; empty when it is valid. */
export function schemaErrors(body: Record<string, unknown>): string[] {
  const key = kindKey(String(body.apiVersion), String(body.kind));
  if (!isSupportedKind(key)) return [`${key} is not a kind the base may contain`];
  try {
    supportedKinds[key].create(body).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
