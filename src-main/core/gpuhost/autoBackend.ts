/**
 * `auto` (issue 16): what a run that pins no backend trains on. In order: tensorflow on a CUDA GPU;
 * then WebGPU (or WebGL) on a hardware adapter of a browser that lends its GPU right now; then the
 * worker processes' own choice (tensorflow on the CPU, wasm, cpu). The server cannot open WebGPU
 * itself, so what a browser offers is what the page reported when it started lending, cached in
 * the store's settings with when; a software adapter (SwiftShader, llvmpipe, WARP) is listed but
 * never chosen: its speed says nothing about a GPU.
 */
import { z } from 'zod';
import { AgentId } from '../contract/agents.ts';
import {
  GpuAdapter,
  type AutoBackend,
  type BackendName,
  type BackendProbe,
  type GpuHostBackend,
  type GpuHostReport,
} from '../contract/app.ts';
import { coreText, type ProblemText } from '../contract/coreText.ts';
import { formatDuration } from '../contract/sweeps.ts';
import { adapterLine, isSoftwareAdapter } from './gpuAdapter.ts';

/** The settings key of the cached reports. */
export const gpuHostReportsKey = 'gpuHostReports';
/** How many browsers' reports are kept (the newest). */
export const maxGpuHostReports = 8;

/** A report as the settings hold it: one per agent (one lending of one page), bounded as agent.hello bounds it. */
const StoredGpuHostReport = z
  .object({
    agentId: AgentId,
    host: z.string().max(253),
    adapters: z.array(GpuAdapter).max(2),
    reportedAt: z.number().int().nonnegative(),
  })
  .strict();
export type StoredGpuHostReport = z.infer<typeof StoredGpuHostReport>;

/** What autoBackend needs of the store: the settings table. */
export interface SettingsStore {
  getSetting(key: string): unknown;
  setSetting(key: string, value: unknown): void;
}

/**
 * The cached reports. Only the server writes them, but a damaged setting (edited by hand, written
 * by another version) must not reach app.info or the claim: a value that is not a list of
 * reports is read as none, a report that does not parse is left out, each with the reason logged.
 */
function readStored(store: SettingsStore): StoredGpuHostReport[] {
  let value: unknown;
  try {
    value = store.getSetting(gpuHostReportsKey);
  } catch (error) {
    console.warn(`settings: ${gpuHostReportsKey} is not readable, read as no reports:`, error instanceof Error ? error.message : error);
    return [];
  }
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    console.warn(`settings: ${gpuHostReportsKey} is not a list, read as no reports`);
    return [];
  }
  const reports: StoredGpuHostReport[] = [];
  for (const [index, item] of value.slice(0, maxGpuHostReports).entries()) {
    const parsed = StoredGpuHostReport.safeParse(item);
    if (parsed.success) reports.push(parsed.data);
    else
      console.warn(
        `settings: ${gpuHostReportsKey}[${index}] left out: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'report'}: ${i.message}`).join('; ')}`,
      );
  }
  return reports;
}

/** Caches what a page offered when it said hello; the newest report first, at most maxGpuHostReports. */
export function recordGpuHostReport(store: SettingsStore, report: StoredGpuHostReport): void {
  const others = readStored(store).filter((r) => r.agentId !== report.agentId);
  store.setSetting(gpuHostReportsKey, [report, ...others].slice(0, maxGpuHostReports));
}

/** The cached reports, newest first, each with its adapters judged and whether its page lends now. */
export function gpuHostReports(store: SettingsStore, lendingNow: (agentId: string) => boolean): (GpuHostReport & { agentId: string })[] {
  return readStored(store).map((r) => ({
    agentId: r.agentId,
    host: r.host,
    adapters: r.adapters.map((adapter) => ({ adapter, ...adapterLine(adapter), software: isSoftwareAdapter(adapter) })),
    reportedAt: r.reportedAt,
    lending: lendingNow(r.agentId),
  }));
}

/** The hardware backend a page offers (webgpu before webgl), or null when it offers only software. */
export function hardwareBackendOf(adapters: readonly GpuAdapter[]): GpuHostBackend | null {
  const hardware = adapters.filter((a) => !isSoftwareAdapter(a)).map((a) => a.api);
  return hardware.includes('webgpu') ? 'webgpu' : hardware.includes('webgl') ? 'webgl' : null;
}

/** tensorflow loads and trains on a CUDA GPU (training/tensorflowEngine.describeTensorflow's words). */
export function tensorflowOnGpu(backends: readonly BackendProbe[]): boolean {
  return backends.some((b) => b.name === 'tensorflow' && b.available && b.detail.startsWith('CUDA GPU'));
}

/** A reported adapter's line as a coded parameter: its English, and its code where the report has one. */
const deviceParam = (a: GpuHostReport['adapters'][number]): ProblemText[] => [
  { sentence: a.device.slice(0, 4000), path: '', text: a.deviceCode ?? null },
];

/** How long ago, in whole seconds (a coded parameter), and in the core's English words ("3 min 10 s ago"). */
const agoSeconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
const ago = (seconds: number) => (seconds < 60 ? 'just now' : `${formatDuration(seconds)} ago`);

/** The `auto` choice and its reason in words, from this machine's probe and the browsers' reports. */
export function chooseAutoBackend(
  backends: readonly BackendProbe[],
  chosen: BackendName | null,
  reports: readonly GpuHostReport[],
  now: number,
): AutoBackend {
  const tensorflow = backends.find((b) => b.name === 'tensorflow');
  if (tensorflow && tensorflowOnGpu(backends))
    return {
      backend: 'tensorflow',
      reason: `tensorflow trains on a ${tensorflow.detail}`,
      // The device is tensorflow's probe line, coded as the probe codes it, so it is said in the user's language too.
      reasonCode: coreText('auto_cuda', {
        device: [{ sentence: tensorflow.detail.slice(0, 4000), path: '', text: tensorflow.detailCode ?? null }],
      }),
    };
  const fallback = chosen ?? 'no backend';
  const lending = reports.find((r) => r.lending && hardwareBackendOf(r.adapters.map((a) => a.adapter)) !== null);
  if (lending) {
    const backend = hardwareBackendOf(lending.adapters.map((a) => a.adapter))!;
    const offered = lending.adapters.find((a) => a.adapter.api === backend)!;
    const device = offered.device;
    const seconds = agoSeconds(now - lending.reportedAt);
    return {
      backend,
      reason: `no CUDA GPU here; ${lending.host} lends its GPU now (${device}, reported ${ago(seconds)}), so runs that pin no backend may train there`,
      reasonCode: coreText('auto_lending', { host: lending.host, device: deviceParam(offered), agoSeconds: seconds }),
    };
  }
  const hardware = reports.find((r) => hardwareBackendOf(r.adapters.map((a) => a.adapter)) !== null);
  if (hardware) {
    const offered = hardware.adapters.find((a) => !a.software)!;
    const device = offered.device;
    const seconds = agoSeconds(now - hardware.reportedAt);
    return {
      backend: chosen,
      reason: `no CUDA GPU here; ${hardware.host} offered ${device} ${ago(seconds)} but is not lending now, so runs train on ${fallback}`,
      reasonCode: coreText('auto_not_lending', {
        host: hardware.host,
        device: deviceParam(offered),
        agoSeconds: seconds,
        backend: fallback,
      }),
    };
  }
  const software = reports[0];
  if (software) {
    const offered = software.adapters[0];
    const device = offered?.device ?? 'no adapter';
    const seconds = agoSeconds(now - software.reportedAt);
    return {
      backend: chosen,
      reason: `no CUDA GPU here; the browser adapter reported ${ago(seconds)} is ${device}; auto never picks a software adapter, so runs train on ${fallback}`,
      reasonCode: coreText('auto_software', {
        device: offered ? deviceParam(offered) : [{ sentence: device, path: '', text: coreText('gpu_adapter_none', {}) }],
        agoSeconds: seconds,
        backend: fallback,
      }),
    };
  }
  return {
    backend: chosen,
    reason: `no CUDA GPU here and no browser has lent its GPU yet (press Train on this browser's GPU in a browser), so runs train on ${fallback}`,
    reasonCode: coreText('auto_no_browser', { backend: fallback }),
  };
}
