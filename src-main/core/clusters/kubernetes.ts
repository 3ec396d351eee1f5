/**
 * The Kubernetes launcher: an Indexed Job (completionMode Indexed, one completion per agent task,
 * parallelism = concurrency) whose pods run the agent image, the sweep's token mounted from a
 * Secret. Like Slurm's array, pods pull runs; a pod that is evicted or preempted hands its run
 * back (SIGTERM, then the grace period) and the Job retries its index.
 *
 * Applied with @kubernetes/client-node where a kubeconfig is found (KUBECONFIG, ~/.kube/config or
 * in-cluster), otherwise only written for `kubectl apply -f`. Untested against a live cluster: the
 * manifest is checked against the Kubernetes API models and a golden file.
 */
import { stringify } from 'yaml';
import type { KubernetesSettings } from '../contract/clusters.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';

export interface KubernetesJobInput {
  sweepId: number;
  sweepName: string;
  tasks: number;
  settings: KubernetesSettings;
  /** The agent token's secret (goes into the Secret only). */
  secret: string;
  /** A suffix that makes the Job's name unique per submission (a top-up or resubmit). */
  suffix: string;
}

type Manifest = Record<string, unknown>;

const labelsOf = (sweepId: number) => ({
  'app.kubernetes.io/name': 'kernellab-agent',
  'app.kubernetes.io/part-of': 'kernellab',
  'kernellab/sweep': String(sweepId),
});

/** The pod's one container: the agent, reading its token from the Secret, spooling to an emptyDir. */
function agentContainer(input: KubernetesJobInput): Manifest {
  const s = input.settings;
  const resources: Record<string, Record<string, string>> = {
    requests: { cpu: s.cpu, memory: s.memory },
    limits: { memory: s.memory },
  };
  if (s.gpus > 0) {
    resources.requests!['nvidia.com/gpu'] = String(s.gpus);
    resources.limits!['nvidia.com/gpu'] = String(s.gpus);
  }
  const args = [
    '--server',
    s.serverUrl,
    '--token-file',
    '/var/run/kernellab/token',
    '--sweep',
    String(input.sweepId),
    '--count',
    String(s.count),
    ...(s.backend ? ['--backend', s.backend] : []),
    '--spool',
    '/var/spool/kernellab',
    '--job',
    'pod $(POD_NAME)',
  ];
  return {
    name: 'agent',
    image: s.image,
    args,
    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    resources,
    volumeMounts: [
      { name: 'token', mountPath: '/var/run/kernellab', readOnly: true },
      { name: 'spool', mountPath: '/var/spool/kernellab' },
    ],
  };
}

/** The Secret and the Indexed Job, as objects (in apply order). */
export function kubernetesManifests(input: KubernetesJobInput): [Manifest, Manifest] {
  const s = input.settings;
  const name = `kernellab-sweep-${input.sweepId}-${input.suffix}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
  const secretName = `kernellab-sweep-${input.sweepId}-token`;
  const labels = labelsOf(input.sweepId);
  const secret: Manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: s.namespace, labels },
    type: 'Opaque',
    stringData: { token: input.secret },
  };
  const job: Manifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: s.namespace,
      labels,
      annotations: { 'kernellab/sweep-name': input.sweepName.slice(0, 200) },
    },
    spec: {
      completionMode: 'Indexed',
      completions: input.tasks,
      parallelism: Math.min(s.concurrency, input.tasks),
      // A pod that fails (evicted, OOM-killed) is retried; its run went back to the server's queue.
      backoffLimit: Math.max(6, input.tasks * 2),
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // SIGTERM first: the agent reports its run interrupted (resumable from its last checkpoint).
          terminationGracePeriodSeconds: 60,
          containers: [agentContainer(input)],
          volumes: [
            { name: 'token', secret: { secretName, defaultMode: 0o400 } },
            { name: 'spool', emptyDir: {} },
          ],
        },
      },
    },
  };
  return [secret, job];
}

/** The manifests as one YAML file for `kubectl apply -f`. */
export function kubernetesYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/**
 * Applies the manifests with @kubernetes/client-node when a kubeconfig is found; returns
 * undefined (write-only) when there is none. The module is loaded only here: it is large, and the
 * rest of the app never needs it.
 */
export async function applyKubernetes(secret: Manifest, job: Manifest): Promise<{ jobId: string } | undefined> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    config.loadFromDefault();
  } catch {
    return undefined;
  }
  if (!config.getCurrentCluster()) return undefined;
  const core = config.makeApiClient(k8s.CoreV1Api);
  const batch = config.makeApiClient(k8s.BatchV1Api);
  const namespace = (job.metadata as { namespace: string }).namespace;
  const secretName = (secret.metadata as { name: string }).name;
  try {
    try {
      await core.replaceNamespacedSecret({ name: secretName, namespace, body: secret as never });
    } catch {
      await core.createNamespacedSecret({ namespace, body: secret as never });
    }
    const created = await batch.createNamespacedJob({ namespace, body: job as never });
    return { jobId: `${namespace}/${created.metadata?.name ?? (job.metadata as { name: string }).name}` };
  } catch (error) {
    const reason = (error as Error).message.slice(0, 500);
    throw coded('unavailable', `Kubernetes refused the job: ${reason}`, 'cluster_k8s_refused', { reason });
  }
}

/** The Job's state from the API (active/succeeded/failed pod counts). */
export async function kubernetesJobState(jobId: string): Promise<{
  state: 'pending' | 'running' | 'finished' | 'failed' | 'unknown';
  detail: string;
  detailText: CoreText | null;
  ended: boolean;
}> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    config.loadFromDefault();
  } catch {
    return { state: 'unknown', detail: 'no kubeconfig here', detailText: coreText('cluster_job_no_kubeconfig', {}), ended: false };
  }
  const [namespace, name] = jobId.split('/');
  try {
    const job = await config.makeApiClient(k8s.BatchV1Api).readNamespacedJobStatus({ name: name!, namespace: namespace! });
    const st = job.status ?? {};
    const detail = `${st.active ?? 0} active, ${st.succeeded ?? 0} succeeded, ${st.failed ?? 0} failed`;
    const detailText = coreText('cluster_job_k8s_counts', { active: st.active ?? 0, succeeded: st.succeeded ?? 0, failed: st.failed ?? 0 });
    const done = (st.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done) return { state: done.type === 'Complete' ? 'finished' : 'failed', detail, detailText, ended: true };
    return { state: (st.active ?? 0) > 0 ? 'running' : 'pending', detail, detailText, ended: false };
  } catch (error) {
    return { state: 'unknown', detail: `cannot read the Job: ${(error as Error).message.slice(0, 200)}`, detailText: null, ended: false };
  }
}

export async function deleteKubernetesJob(jobId: string): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  const [namespace, name] = jobId.split('/');
  await config.makeApiClient(k8s.BatchV1Api).deleteNamespacedJob({ name: name!, namespace: namespace!, propagationPolicy: 'Background' });
}
