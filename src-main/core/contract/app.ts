import { z } from 'zod';
import { method } from './define.ts';
import { CoreText } from './coreText.ts';

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

/**
 * The adapter a browser GPU host offers or trained on, as the browser itself names it (read by the
 * page: WebGPU's GPUAdapterInfo, WebGL's unmasked renderer). gpuhost/gpuAdapter.ts judges whether
 * it is a GPU at all.
 */
export const GpuAdapter = z
  .object({
    api: GpuHostBackend,
    /** WebGPU's GPUAdapterInfo.vendor; WebGL's unmasked vendor. Empty when the browser hides it. */
    vendor: z.string().max(200),
    /** WebGPU's GPUAdapterInfo.architecture (empty for WebGL). */
    architecture: z.string().max(200),
    /** WebGPU's GPUAdapterInfo.description; WebGL's unmasked renderer. */
    description: z.string().max(500),
    /** WebGPU's isFallbackAdapter (a software implementation); for WebGL, whether the renderer is one. */
    isFallbackAdapter: z.boolean(),
  })
  .strict();
export type GpuAdapter = z.infer<typeof GpuAdapter>;

/** What one browser GPU host offered when it last started lending (cached in the store's settings). */
export const GpuHostReport = z.object({
  /** How the page named itself ("a browser on Linux x86_64"). */
  host: z.string(),
  adapters: z.array(
    z.object({
      adapter: GpuAdapter,
      /** gpuAdapter.describeAdapter's line. */
      device: z.string(),
      /** `device` coded (coreText.ts), for the page's language; absent from older cores. */
      deviceCode: CoreText.optional(),
      software: z.boolean(),
    }),
  ),
  /** When the page reported it (ms since the epoch). */
  reportedAt: z.number(),
  /** Whether that page is lending right now (its agent said hello and was heard within a lease). */
  lending: z.boolean(),
});
export type GpuHostReport = z.infer<typeof GpuHostReport>;

/** What a run that pins no backend trains on, and why (gpuhost/autoBackend.ts). */
export const AutoBackend = z.object({
  backend: RunBackend.nullable(),
  reason: z.string(),
  /** `reason` coded, for the page's language (coreText.ts). */
  reasonCode: CoreText.optional(),
});
export type AutoBackend = z.infer<typeof AutoBackend>;

export const BackendProbe = z.object({
  name: BackendName,
  available: z.boolean(),
  /** GPU name or CPU model when available; why it did not load otherwise. */
  detail: z.string(),
  /** Why it did not load, coded for the user's language (training/backendReason.ts); absent from an older worker. */
  detailCode: CoreText.optional(),
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
  /** What each browser GPU host offered when it last lent its GPU, newest first. */
  gpuHosts: z.array(GpuHostReport),
  /** `auto`: tensorflow on a CUDA GPU, then a lending browser's hardware GPU, then chosenBackend. */
  auto: AutoBackend,
});
export type AppInfo = z.infer<typeof AppInfo>;

export const Health = z.object({
  ok: z.boolean(),
  uptimeMs: z.number(),
  /** Each check's `detail` sentence, with `detailCode` its coded form for the page (coreText.ts). */
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), detailCode: CoreText.optional() })),
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
