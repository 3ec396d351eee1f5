/**
 * Engines: native compute engines installed into the data folder. Today one: `tensorflow`
 * (@tensorflow/tfjs-node-gpu on libtensorflow, CPU or CUDA 12), installed from the official
 * download or staged from TensorFlow's Python wheels and built here.
 */
import { z } from 'zod';
import { CoreText } from './coreText.ts';
import { method } from './define.ts';

export const EngineName = z.enum(['tensorflow']);
export type EngineName = z.infer<typeof EngineName>;

export const EngineVariant = z.enum(['cpu', 'gpu']);
export type EngineVariant = z.infer<typeof EngineVariant>;

/** What the install found when it loaded the engine in a fresh worker and ran one conv step. */
export const EngineCheck = z.object({
  tensorflowVersion: z.string(),
  /** Devices TensorFlow runs on: `CPU: <model>` and, where it uses one, `GPU: <name>, <memory>`. */
  devices: z.array(z.string()),
  /** `devices` coded one for one (null: that one in English only); absent from an engine checked before the codes. */
  devicesCode: z.array(CoreText.nullable()).max(16).optional(),
  usingGpu: z.boolean(),
  /** Largest relative difference of the conv step's output and gradients against the cpu backend. */
  maxRelativeError: z.number(),
  /** Why a GPU engine runs on the CPU, when it does. */
  note: z.string().nullable(),
  /** `note` coded, for the page's and the CLI's language; absent where only the English says it (an engine installed before). */
  noteCode: CoreText.optional(),
});
export type EngineCheck = z.infer<typeof EngineCheck>;

/** engine.json in the engine folder, written last by a successful install. */
export const EngineManifest = z.object({
  engine: EngineName,
  variant: EngineVariant,
  /** `official`: the libtensorflow download and prebuilt addon; `wheel`: staged from pip wheels and built here. */
  source: z.enum(['official', 'wheel']),
  /** The files it came from: wheel file names, or the official archive. */
  origin: z.array(z.string()),
  tfjsNodeVersion: z.string(),
  platform: z.string(),
  /** CUDA and cuDNN versions of the libraries it ships (GPU engines), else null. */
  cuda: z.string().nullable(),
  cudnn: z.string().nullable(),
  /** Folders, relative to the engine folder, that a worker puts on its library path. */
  libraryPaths: z.array(z.string()),
  installedAt: z.string(),
  bytes: z.number().int().nonnegative(),
  check: EngineCheck,
});
export type EngineManifest = z.infer<typeof EngineManifest>;

export const EngineRequirement = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
  /** `detail` coded; absent where the detail is a path or a version, shown as it is. */
  detailCode: CoreText.optional(),
});
export type EngineRequirement = z.infer<typeof EngineRequirement>;

export const EnginePhase = z.enum([
  'prepare',
  'official',
  'download',
  'check',
  'package',
  'stage',
  'build',
  'verify',
  'swap',
  'done',
  'failed',
  'canceled',
]);
export type EnginePhase = z.infer<typeof EnginePhase>;

export const EngineProgress = z.object({
  engine: EngineName,
  phase: EnginePhase,
  /** 1-based step of `steps`, for a progress bar over the whole install. */
  step: z.number().int().nonnegative(),
  steps: z.number().int().positive(),
  /** 0..1 within the step when known (extraction), else null. */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
  /** `message` coded, for the page (coreText.ts); absent for a tool's own output line, shown as it is. */
  messageCode: CoreText.optional(),
});
export type EngineProgress = z.infer<typeof EngineProgress>;

export const EngineInfo = z.object({
  name: EngineName,
  status: z.enum(['absent', 'installing', 'ready', 'broken']),
  dir: z.string(),
  manifest: EngineManifest.nullable(),
  /** Why it is broken, or why the last install failed. */
  problem: z.string().nullable(),
  /** `problem`'s coded form, for the page's language (contract/coreText.ts); absent or null: English only. */
  problemCode: CoreText.nullable().optional(),
  progress: EngineProgress.nullable(),
  /** What an install from wheels needs on this machine, and whether it is there. */
  requirements: z.array(EngineRequirement),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

const ByName = z.object({ name: EngineName }).strict();

export const enginesMethods = {
  'engines.list': method({
    input: z.object({}).strict().default({}),
    output: z.object({ enginesDir: z.string(), engines: z.array(EngineInfo) }),
    summary: 'The engines in the data folder, their versions and devices, and what an install needs that this machine lacks.',
  }),
  'engines.install': method({
    input: z
      .object({
        name: EngineName,
        /** The CUDA build with the NVIDIA CUDA/cuDNN wheels (Linux x64), instead of the CPU build. */
        gpu: z.boolean().default(false),
        /** TensorFlow wheel version to stage; the tested one by default. */
        tensorflowVersion: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, 'expected a version like 2.21.0')
          .optional(),
        /** Wheel files already on disk (offline); skips the official download and pip. */
        wheelFiles: z.array(z.string().min(1).max(4096)).min(1).max(32).optional(),
        /** Go straight to the wheels (the official download is for libtensorflow 2.9.1 only). */
        skipOfficial: z.boolean().default(false),
        /** Wait for the install to finish (the CLI does); otherwise return at once and follow engine.progress. */
        wait: z.boolean().default(false),
      })
      .strict(),
    output: EngineInfo,
    summary:
      'Installs an engine into the data folder: the official download where it works, else TensorFlow wheels via pip and a build of the addon; checks it against the cpu backend before it replaces the installed one.',
  }),
  'engines.cancel': method({
    input: ByName,
    output: z.object({ canceled: z.boolean() }),
    summary: 'Stops an install in progress; the installed engine stays as it was.',
  }),
  'engines.remove': method({
    input: ByName,
    output: z.object({ removed: z.boolean() }),
    summary: 'Deletes an installed engine; runs then use wasm.',
  }),
};

export const enginesEvents = {
  'engine.progress': EngineProgress,
};
