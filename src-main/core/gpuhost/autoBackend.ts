/**
 * `auto` (issue 16): what a run that pins no backend trains on. In order: tensorflow on a CUDA GPU;
 * then WebGPU (or WebGL) on a hardware adapter of a browser that lends its GPU right now; then the
 * worker processes' own choice (tensorflow on the CPU, wasm, cpu). The server cannot open WebGPU
 * itself, so what a browser offers is what the page reported when it started lending, cached in
 * the store's settings with when; a software adapter (SwiftShader, llvmpipe, WARP) is listed but
 * never chosen: its speed says nothing about a GPU.
 */
import type { AutoBackend, BackendName, BackendProbe, GpuAdapter, GpuHostBackend, GpuHostReport } from '../contract/app.ts';
import { describeAdapter, isSoftwareAdapter } from './gpuAdapter.ts';

/** The settings key of the cached reports. */
export const gpuHostReportsKey = 'gpuHostReports';
/** How many browsers' reports are kept (the newest). */
export const maxGpuHostReports = 8;

/** A report as the settings hold it: one per agent (one lending of one page). */
export interface StoredGpuHostReport {
  agentId: string;
  host: string;
  adapters: GpuAdapter[];
  reportedAt: number;
}

/** What autoBackend needs of the store: the settings table. */
export interface SettingsStore {
  getSetting(key: string): unknown;
  setSetting(key: string, value: unknown): void;
}

function readStored(store: SettingsStore): StoredGpuHostReport[] {
  const value = store.getSetting(gpuHostReportsKey);
  return Array.isArray(value) ? (value as StoredGpuHostReport[]) : [];
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
    adapters: r.adapters.map((adapter) => ({ adapter, device: describeAdapter(adapter), software: isSoftwareAdapter(adapter) })),
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

const ago = (ms: number) => {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
};

/** The `auto` choice and its reason in words, from this machine's probe and the browsers' reports. */
export function chooseAutoBackend(
  backends: readonly BackendProbe[],
  chosen: BackendName | null,
  reports: readonly GpuHostReport[],
  now: number,
): AutoBackend {
  const tensorflow = backends.find((b) => b.name === 'tensorflow');
  if (tensorflow && tensorflowOnGpu(backends)) return { backend: 'tensorflow', reason: `tensorflow trains on a ${tensorflow.detail}` };
  const lending = reports.find((r) => r.lending && hardwareBackendOf(r.adapters.map((a) => a.adapter)) !== null);
  if (lending) {
    const backend = hardwareBackendOf(lending.adapters.map((a) => a.adapter))!;
    const device = lending.adapters.find((a) => a.adapter.api === backend)!.device;
    return {
      backend,
      reason: `no CUDA GPU here; ${lending.host} lends its GPU now (${device}, reported ${ago(now - lending.reportedAt)}), so runs that pin no backend may train there`,
    };
  }
  const fallback = chosen ?? 'no backend';
  const hardware = reports.find((r) => hardwareBackendOf(r.adapters.map((a) => a.adapter)) !== null);
  if (hardware) {
    const device = hardware.adapters.find((a) => !a.software)!.device;
    return {
      backend: chosen,
      reason: `no CUDA GPU here; ${hardware.host} offered ${device} ${ago(now - hardware.reportedAt)} but is not lending now, so runs train on ${fallback}`,
    };
  }
  const software = reports[0];
  if (software) {
    const device = software.adapters[0]?.device ?? 'no adapter';
    return {
      backend: chosen,
      reason: `no CUDA GPU here; the browser adapter reported ${ago(now - software.reportedAt)} is ${device}; auto never picks a software adapter, so runs train on ${fallback}`,
    };
  }
  return {
    backend: chosen,
    reason: `no CUDA GPU here and no browser has lent its GPU yet (press Train on this browser's GPU in a browser), so runs train on ${fallback}`,
  };
}
