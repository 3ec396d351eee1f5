import { z } from 'zod';
import { method } from './define.ts';

export const BackendName = z.enum(['tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

/** Preference order when a run pins no backend (DESIGN.md: tensorflow → wasm → cpu). */
export const backendOrder: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Backends that train in a browser GPU host (a Web Worker in a page, or in the desktop's hidden
 * window), never in a worker process: Node has neither WebGPU nor WebGL.
 */
export const GpuHostBackend = z.enum(['webgpu', 'webgl']);
export type GpuHostBackend = z.infer<typeof GpuHostBackend>;

/** Whether a pinned backend trains only in a browser GPU host (never in a worker process). */
export function isGpuHostBackend(backend: unknown): backend is GpuHostBackend {
  return GpuHostBackend.safeParse(backend).success;
}

/**
 * What a queued run pinned to webgpu or webgl waits for, in the words the app, the CLI and the
 * runs list show: nothing on this machine trains it until a page lends its GPU.
 */
export const gpuHostWaiting = "waiting for a browser GPU: open KernelLab in a browser and press Train on this browser's GPU";

/** Every backend a run can train on: a worker process's or a GPU host's. */
export const RunBackend = z.enum([...BackendName.options, ...GpuHostBackend.options]);
export type RunBackend = z.infer<typeof RunBackend>;

export const BackendProbe = z.object({
  name: BackendName,
  available: z.boolean(),
  /** GPU name or CPU model when available; why it did not load otherwise. */
  detail: z.string(),
});
export type BackendProbe = z.infer<typeof BackendProbe>;

export const AppInfo = z.object({
  appVersion: z.string(),
  nodeVersion: z.string(),
  electronVersion: z.string().nullable(),
  tfjsVersion: z.string(),
  platform: z.string(),
  cpus: z.number().int(),
  dataDir: z.string(),
  shell: z.enum(['electron', 'server', 'cli']),
  backends: z.array(BackendProbe),
  /** The backend a run gets when it pins none: the first available of tensorflow → wasm → cpu. */
  chosenBackend: BackendName.nullable(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const Health = z.object({
  ok: z.boolean(),
  uptimeMs: z.number(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
});
export type Health = z.infer<typeof Health>;

const NoInput = z.object({}).strict().default({});

export const appMethods = {
  'app.info': method({
    input: NoInput,
    output: AppInfo,
    summary: 'Versions, data folder and the tfjs backends that load on this machine.',
  }),
  'app.health': method({
    input: NoInput,
    output: Health,
    summary: 'Whether the data folder is writable and the core is ready.',
  }),
};

export const appEvents = {};
