/**
 * The Kubernetes launcher cannot run here (no cluster, no images to pull): its manifest is checked
 * against the Kubernetes API's own models (the OpenAPI-generated types of @kubernetes/client-node:
 * every field known, every value of its type) and against a golden file.
 */
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KubernetesSettings } from '../contract/clusters.ts';
import { kubernetesManifests, kubernetesYaml } from './kubernetes.ts';

type Model = { getAttributeTypeMap(): { name: string; baseName: string; type: string }[] };
const models = k8s as unknown as Record<string, Model | undefined>;

/** Problems of `value` as the API type `type` (a model name, Array<…>, a map, or a primitive). */
function check(value: unknown, type: string, path: string): string[] {
  if (value === undefined || value === null) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => check(v, array[1]!, `${path}[${i}]`)) : [`${path}: expected a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map)
    return typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => check(v, map[1]!, `${path}.${k}`))
      : [`${path}: expected a map`];
  if (type === 'string' || type === 'number' || type === 'boolean')
    return typeof value === type ? [] : [`${path}: expected a ${type}, got ${JSON.stringify(value)}`];
  if (type === 'IntOrString') return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: expected an int or a string`];
  if (type === 'any' || type === 'object') return [];
  const model = models[type];
  if (!model) return [`${path}: unknown API type ${type}`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, v]) =>
    fields.has(key) ? check(v, fields.get(key)!, `${path}.${key}`) : [`${path}.${key}: not a field of ${type}`],
  );
}

const settings = KubernetesSettings.parse({
  serverUrl: 'https://kernellab.lab.example:7860/',
  image: 'registry.lab.example/kernellab-agent:0.1.0',
  namespace: 'ml',
  concurrency: 4,
  count: 2,
  gpus: 1,
});
const input = {
  sweepId: 7,
  sweepName: 'kernel size × epochs',
  tasks: 6,
  settings,
  secret: `kla_${'S'.repeat(43)}`,
  suffix: '20260102t030405',
};

describe('the Kubernetes launcher', () => {
  it('writes a Secret and an Indexed Job that the Kubernetes API models accept', () => {
    const [secret, job] = kubernetesManifests(input);
    expect(check(secret, 'V1Secret', 'Secret')).toEqual([]);
    expect(check(job, 'V1Job', 'Job')).toEqual([]);
    // The checker itself notices a field the API does not have, and a value of the wrong type.
    expect(check({ ...job, spec: { ...(job.spec as object), paralelism: 2 } }, 'V1Job', 'Job')).toEqual([
      'Job.spec.paralelism: not a field of V1JobSpec',
    ]);
    expect(check({ ...job, spec: { ...(job.spec as object), completions: '6' } }, 'V1Job', 'Job')).toHaveLength(1);
    const spec = job.spec as {
      completionMode: string;
      completions: number;
      parallelism: number;
      template: { spec: { containers: { resources: unknown; args: string[] }[] } };
    };
    expect(spec).toMatchObject({ completionMode: 'Indexed', completions: 6, parallelism: 4 });
    const container = spec.template.spec.containers[0]!;
    expect(container.resources).toEqual({
      requests: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' },
      limits: { memory: '4Gi', 'nvidia.com/gpu': '1' },
    });
    expect(container.args).toEqual(expect.arrayContaining(['--token-file', '/var/run/kernellab/token', '--count', '2']));
    expect(JSON.stringify(job)).not.toContain(input.secret);
  });

  it('matches the golden manifest, and reads back as the same two documents', async () => {
    const text = kubernetesYaml(kubernetesManifests(input));
    await expect(text).toMatchFileSnapshot('./__golden__/sweep-7-kubernetes.yaml');
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(['Secret', 'Job']);
  });
});
