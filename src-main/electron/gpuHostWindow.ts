/**
 * The desktop app's GPU host (issue 16): a hidden window (show: false, sandboxed, context-isolated,
 * no Node, never throttled) that lends this computer's GPU exactly as a browser page does — the
 * renderer entry gpuHost.html runs core/gpuhost's gpuLender and GpuHost, training each run in a
 * GPU Worker — but speaks the agent contract through its preload (gpuHostPreload.ts) and main,
 * not HTTP. Main adds the agent token, so the window never holds a secret.
 *
 * Started on demand: when a run pinned to webgpu or webgl is queued, or an unpinned one once the
 * window has reported a hardware GPU (gpuHostPolicy.ts wantsGpuHost). Closed when it has got no
 * run for two minutes. When its render process goes away, the run it held fails through
 * agent.finish in words (goneOutcome) and the window starts again (RestartPolicy).
 *
 * Only the Electron wiring lives here; every decision is in gpuHostPolicy.ts, tested under Node.
 */
import { BrowserWindow, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type RenderProcessGoneDetails } from 'electron';
import type { BridgeReply, MethodName, MethodOutput } from '../core/contract/index.ts';
import { KernelLabError, toErrorBody } from '../core/errors.ts';
import { goneOutcome, HeldRunTracker, IdlePolicy, RestartPolicy, wantsGpuHost } from './gpuHostPolicy.ts';

/** The hidden window's agent calls (gpuHostPreload.ts). */
export const gpuHostAgentChannel = 'kl-gpu:agent';
/** The hidden window's lending status, one line for main's log. */
export const gpuHostStatusChannel = 'kl-gpu:status';
/** The hidden window says whether it offers a hardware GPU (core/gpuhost/gpuAdapter.ts judged its adapters). */
export const gpuHostOffersChannel = 'kl-gpu:offers';

/** What the GPU host needs of the service: calls, with the agent token for agent.* ones (serviceClient.ts). */
export interface GpuHostService {
  call<M extends MethodName>(name: M, input: unknown, options?: { agentToken?: string }): Promise<MethodOutput<M>>;
}

export interface GpuHostWindowOptions {
  service: GpuHostService;
  /** The built gpuHostPreload.cjs. */
  preload: string;
  /** Loads gpuHost.html (the dev server's, or the built file). */
  load: (window: BrowserWindow) => Promise<void>;
  /** Whether a frame is our own renderer's top-level page (trust.ts isTrustedFrame). */
  isTrusted: (event: IpcMainInvokeEvent | IpcMainEvent) => boolean;
  /** The name of the window's GPU-host token, in the app's language when it is made (desktopText.ts gpuHostTokenLabel). */
  tokenLabel: () => string;
}

export class GpuHostWindow {
  readonly #o: GpuHostWindowOptions;
  readonly #restarts = new RestartPolicy();
  readonly #idle = new IdlePolicy();
  readonly #held = new HeldRunTracker();
  #window: BrowserWindow | null = null;
  /** The agent token of the window's current lending; a new one per start (stale ones are revoked by the registry). */
  #token: Promise<string> | null = null;
  #hardwareSeen = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #idleTimer: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(options: GpuHostWindowOptions) {
    this.#o = options;
    ipcMain.handle(gpuHostAgentChannel, (event, method: unknown, input: unknown) => this.#agentCall(event, method, input));
    ipcMain.on(gpuHostStatusChannel, (event, text: unknown) => {
      if (this.#isOurs(event) && typeof text === 'string') console.log(`gpu host: ${text.slice(0, 500)}`);
    });
    ipcMain.on(gpuHostOffersChannel, (event, hardwareGpu: unknown) => {
      if (this.#isOurs(event) && hardwareGpu === true) this.#hardwareSeen = true;
    });
    this.#idleTimer = setInterval(() => {
      if (this.#window && this.#held.held === null && this.#idle.shouldClose(Date.now())) this.#stop();
    }, 10_000);
    this.#idleTimer.unref();
  }

  /** A run was queued: starts the window when the run wants it (its backend read from the service). */
  async runQueued(runId: number): Promise<void> {
    if (this.#window || this.#closed) return;
    const run = await this.#o.service.call('runs.get', { id: runId });
    if (run.status === 'queued' && wantsGpuHost((run.hyperparameters as { backend?: unknown } | null)?.backend, this.#hardwareSeen))
      this.start();
  }

  /** At launch: runs pinned to a GPU that were queued while the app was closed start the window too. */
  async startIfQueued(): Promise<void> {
    if (this.#window || this.#closed) return;
    const queued = await this.#o.service.call('runs.list', { status: ['queued'], limit: 1000 });
    if (queued.rows.some((row) => wantsGpuHost(row.backend, this.#hardwareSeen))) this.start();
  }

  start(): void {
    if (this.#window || this.#closed) return;
    clearTimeout(this.#restartTimer);
    const wait = this.#restarts.waitMs(Date.now());
    if (wait > 0) {
      this.#restartTimer = setTimeout(() => this.start(), wait);
      return;
    }
    const window = new BrowserWindow({
      show: false,
      title: 'KernelLab GPU host',
      webPreferences: {
        preload: this.#o.preload,
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
        // A hidden window is throttled like a background tab otherwise: training would crawl.
        backgroundThrottling: false,
      },
    });
    this.#window = window;
    this.#token = null;
    this.#idle.started();
    window.webContents.on('render-process-gone', (_event, details) => void this.#gone(window, details));
    window.on('closed', () => {
      if (this.#window === window) this.#window = null;
    });
    this.#o.load(window).catch((error: unknown) => console.error(`gpu host: the window did not load: ${(error as Error).message}`));
  }

  /** Quitting: no restart; the window goes with the app (its run is interrupted by the service's close). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#idleTimer);
    this.#stop();
    ipcMain.removeHandler(gpuHostAgentChannel);
    ipcMain.removeAllListeners(gpuHostStatusChannel);
    ipcMain.removeAllListeners(gpuHostOffersChannel);
  }

  #stop(): void {
    const window = this.#window;
    this.#window = null;
    window?.destroy();
  }

  #isOurs(event: IpcMainInvokeEvent | IpcMainEvent): boolean {
    return this.#window !== null && event.sender === this.#window.webContents && this.#o.isTrusted(event);
  }

  /** The run the window held fails in words; the window starts again after the restart policy's delay. */
  async #gone(window: BrowserWindow, details: RenderProcessGoneDetails): Promise<void> {
    if (this.#window !== window) return;
    this.#window = null;
    window.destroy();
    const held = this.#held.held;
    this.#held.clear();
    if (held && this.#token) {
      const agentToken = await this.#token;
      await this.#o.service
        .call('agent.finish', { lease: held.lease, lastSeq: held.lastSeq, outcome: goneOutcome(details) }, { agentToken })
        .catch((error: unknown) => console.error(`gpu host: run ${held.runId} could not be failed: ${(error as Error).message}`));
    }
    console.error(`gpu host: the window's render process is gone (${details.reason}, exit code ${details.exitCode}); it restarts`);
    this.#restarts.crashed(Date.now());
    this.start();
  }

  /** One agent.* call of the window, with the token main holds for it; errors travel as values, as dispatchIpc's do. */
  async #agentCall(event: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<BridgeReply> {
    try {
      if (!this.#isOurs(event)) throw new KernelLabError('unauthorized', 'agent calls are taken only from the desktop GPU host window');
      if (typeof method !== 'string' || !method.startsWith('agent.'))
        throw new KernelLabError('not_found', `the GPU host window may call only agent.* methods, not '${String(method).slice(0, 100)}'`);
      const token = (this.#token ??= this.#o.service.call('agents.browserGpuToken', { label: this.#o.tokenLabel() }).then(
        (t) => t.secret,
        (error: unknown) => {
          // Asked again by the next call (the window's lender retries), not kept as a failure.
          this.#token = null;
          throw error;
        },
      ));
      const result = await this.#o.service.call(method as MethodName, input, { agentToken: await token });
      if (method === 'agent.claim') this.#idle.claimed((result as { job?: unknown }).job != null, Date.now());
      this.#held.observe(method, input, result);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: toErrorBody(error) };
    }
  }
}
