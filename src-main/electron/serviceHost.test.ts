import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { KernelLabError } from '../core/errors.ts';
import { ensureDataDir } from '../core/home.ts';
import { forkWorker, type WorkerHandle } from '../core/workerHost.ts';
import { openRaw } from '../test/rawSqlite.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { linkMnist } from '../test/mnistHome.ts';
import { startFailedBox, stoppedBox } from './desktopText.ts';
import type { FromHost } from './hostProtocol.ts';
import { runServiceHost } from './serviceHost.ts';
import { ServiceClient, type HostProcess, type ServiceClientOptions } from './serviceClient.ts';

/**
 * The desktop app's service host, driven as the app drives it but without Electron: the host is a
 * real Node child process running serviceHostEntry.ts, this test is main (ServiceClient), and the
 * training workers it asks for are real worker processes this test forks.
 */
const hostEntry = fileURLToPath(new URL('./serviceHostEntry.ts', import.meta.url));
const workerEntry = fileURLToPath(new URL('../core/training/worker.ts', import.meta.url));
const appRoot = fileURLToPath(new URL('../../', import.meta.url));

let temp: { dir: string; cleanup: () => void };
let hosts: ChildProcess[];
let clients: ServiceClient[];
beforeEach(async () => {
  temp = makeTempDir('kernellab-host-');
  await linkMnist(join(temp.dir, 'home'));
  hosts = [];
  clients = [];
});
afterEach(async () => {
  for (const client of clients) await client.close();
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  temp.cleanup();
});

function forkHost(entry = hostEntry): HostProcess {
  const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  hosts.push(child);
  return {
    postMessage: (message) => {
      if (child.connected) child.send(message as never);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code) => listener(code)),
    kill: () => child.kill('SIGKILL'),
  };
}

function client(options: Partial<ServiceClientOptions> & { events?: KernelLabEvent[] } = {}): ServiceClient {
  const { events = [], ...rest } = options;
  const made = new ServiceClient({
    spawnHost: forkHost,
    start: { home: join(temp.dir, 'home'), appRoot, workerEntry },
    launchWorker: forkWorker,
    onEvent: (event) => events.push(event),
    ...rest,
  });
  clients.push(made);
  return made;
}

async function until(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** English words of the service's own refusals that a Korean one must not keep (KernelLab and method names aside). */
const englishWords =
  /\b(the|service|stopped|exited|before|ready|answered|shutting|down|was|not|run|times|within|last|exit|code|Everything|resume)\b/;

/** An error the page shows, in both languages: the English is the sentence as before, the Korean has no English left. */
function saidInBothLanguages(error: unknown): { en: string; ko: string } {
  expect(error).toBeInstanceOf(KernelLabError);
  const body = (error as KernelLabError).toBody();
  expect(body.messageCode, body.message).toBeDefined();
  const en = errorBodyText(body, 'en');
  const ko = errorBodyText(body, 'ko');
  expect(en).toBe(body.message);
  expect(ko.replace(/KernelLab|app\.health|app\.info|runs\.list|null/g, '')).not.toMatch(englishWords);
  return { en, ko };
}

const tinyRun = {
  run: {
    model: {
      name: 'tiny',
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
    },
    dataset: 'mnist',
    subset: { train: 100, test: 50 },
    hyperparameters: { epochs: 1, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 1, backend: 'wasm' },
  },
};

describe('the service host (the desktop app runs the service outside main)', () => {
  it('answers calls with their results and their errors, code and fields kept', async () => {
    const service = client();
    await service.ready();
    expect(await service.call('app.health', {})).toMatchObject({ ok: true });
    const missing = await service.call('runs.get', { id: 999 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KernelLabError);
    expect(missing).toMatchObject({ code: 'not_found', message: 'Run 999 does not exist' });
    const bad = await service.call('runs.list', { limit: -1 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'invalid_input', issues: [expect.stringMatching(/^limit: /)] });
    const unknown = await service.call('runs.lst' as never, {}).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'not_found', message: "Unknown method 'runs.lst'" });
    // The coded forms and the question come through as well: the page words them in its language,
    // and without the question it could offer no yes (a big run could not start in the app).
    expect(bad).toMatchObject({
      issueTexts: [expect.objectContaining({ path: 'limit', text: expect.objectContaining({ code: expect.any(String) }) })],
    });
    const hyperparameters = { ...tinyRun.run.hyperparameters, epochs: 20_000 };
    const big = await service.call('runs.start', { run: { ...tinyRun.run, hyperparameters } }).catch((e: unknown) => e);
    expect(big).toMatchObject({
      code: 'invalid_input',
      confirm: 'Train 20,000 epochs per run? That is more than 10,000.',
      confirmText: { code: 'confirm_epochs', params: { epochs: 20_000, limit: 10_000 } },
      text: { code: 'error_sweep_confirm_epochs', params: { epochs: 20_000, limit: 10_000 } },
    });
    const { runId } = await service.call('runs.start', { run: { ...tinyRun.run, hyperparameters }, yes: true });
    await service.call('runs.cancel', { id: runId });
  });

  it("passes the desktop GPU host's agent token with an agent.* call, and an agent.* call without one is refused", async () => {
    const service = client();
    await service.ready();
    const agentId = '0b7e6a9c-5d3f-4c1e-9a2b-7f8e9d0c1b2a';
    const hello = { agent: { id: agentId, host: 'this computer', job: "the desktop app's GPU", version: '', backends: ['webgl'] } };
    const refused = await service.call('agent.hello', hello).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/^agent methods need an agent token/) });
    const { secret } = await service.call('agents.browserGpuToken', {});
    expect(await service.call('agent.hello', hello, { agentToken: secret })).toMatchObject({ heartbeatMs: expect.any(Number) });
    const claim = await service.call('agent.claim', { agentId }, { agentToken: secret });
    expect(claim.job).toBeNull();
  });

  it("runs a run's worker for the host (main starts it, relays both ways) and forwards the run's events to main", async () => {
    // The worker main started trains the tiny run; its messages reach the host through main, its events come back to main.
    const events: KernelLabEvent[] = [];
    const service = client({ events });
    const { runId } = await service.call('runs.start', tinyRun);
    await until(
      'the run to end',
      () => events.some((e) => e.name === 'run.updated' && e.payload.runId === runId && e.payload.status === 'completed'),
      110_000,
    );
    const run = await service.call('runs.get', { id: runId });
    expect(run.status).toBe('completed');
    // What the worker sent, relayed through main and recorded by the host: its metrics and its test evaluation.
    expect(run.summary.map((s) => s.key)).toContain('val_accuracy');
    expect(run.evaluations.map((e) => e.split)).toContain('test');
    expect(events.filter((e) => e.name === 'run.updated' && e.payload.runId === runId).map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ status: 'running' }),
    );
    expect(events.some((e) => e.name === 'metrics.appended' && e.payload.runId === runId)).toBe(true);
  }, 120_000);

  it('closes on quit: the database is closed, the host exits, and later calls are refused', async () => {
    const service = client();
    await service.call('experiments.create', { name: 'kept' });
    await service.close();
    expect(exited(hosts[0]!)).toBe(true);
    expect(hosts[0]!.exitCode).toBe(0);
    const db = openRaw(ensureDataDir(join(temp.dir, 'home')).database);
    expect(db.prepare('SELECT name FROM experiments').all()).toEqual([{ name: 'kept' }]);
    db.close();
    const refused = await service.call('app.health', {}).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'unavailable', message: 'KernelLab is shutting down; app.health was not run' });
    expect(saidInBothLanguages(refused).ko).toBe('KernelLab을 종료하는 중이라 app.health을(를) 실행하지 않았습니다');
  });

  it('starts a crashed host again: the call it had fails saying so, its workers are stopped, later calls are answered', async () => {
    const workers: WorkerHandle[] = [];
    const service = client({
      launchWorker: (entry, args, env) => {
        const worker = forkWorker(entry, args, env);
        workers.push(worker);
        return worker;
      },
    });
    await service.ready();
    // app.info asks a fresh worker which backends load: a call in flight with a worker of its own.
    const info = service.call('app.info', {}).catch((e: unknown) => e);
    await until('the probe worker', () => workers.length === 1);
    const workerExit = new Promise((resolve) => workers[0]!.onExit(resolve));
    hosts[0]!.kill('SIGKILL');
    const stopped = await info;
    expect(stopped).toMatchObject({ code: 'unavailable', message: 'the KernelLab service stopped (exit code null) before it answered' });
    expect(saidInBothLanguages(stopped).ko).toBe('KernelLab 서비스가 답하기 전에 멈췄습니다(종료 코드 null)');
    await workerExit;
    expect(await service.call('app.health', {})).toMatchObject({ ok: true });
    expect(hosts).toHaveLength(2);
  }, 60_000);

  it('gives up on a host that keeps crashing, and says so', async () => {
    const gaveUp: KernelLabError[] = [];
    const service = client({ restarts: { count: 1, windowMs: 60_000 }, onGiveUp: (error) => gaveUp.push(error) });
    await service.ready();
    hosts[0]!.kill('SIGKILL');
    await until('a second host', () => hosts.length === 2);
    await service.ready();
    hosts[1]!.kill('SIGKILL');
    await until('giving up', () => gaveUp.length === 1);
    const message = 'the KernelLab service stopped unexpectedly 2 times within 60 s (last exit code null)';
    expect(gaveUp[0]!.message).toBe(message);
    await expect(service.call('app.health', {})).rejects.toMatchObject({ code: 'unavailable', message });
    expect(hosts).toHaveLength(2);
    // The box main shows: its English as before, its Korean with no English left.
    expect(saidInBothLanguages(gaveUp[0]).ko).toBe('KernelLab 서비스가 60초 안에 2번 뜻밖에 멈췄습니다(마지막 종료 코드 null)');
    expect(stoppedBox(gaveUp[0]!, 'en')).toEqual({
      title: 'KernelLab stopped',
      body: `${message}. Everything recorded is kept; runs that were training are interrupted and resume from their last checkpoint (runs.resume, or Resume in the run view).`,
    });
    const ko = stoppedBox(gaveUp[0]!, 'ko');
    expect(ko.title).toBe('KernelLab이 멈췄습니다');
    expect(ko.body).toMatch(
      /^KernelLab 서비스가 60초 안에 2번 뜻밖에 멈췄습니다\(마지막 종료 코드 null\)\. 기록된 것은 모두 남아 있습니다\./,
    );
    expect(ko.body.replace(/KernelLab|runs\.resume|null/g, '')).not.toMatch(englishWords);
  });

  it('reports a service that cannot start, with the reason, and does not start it again', async () => {
    const home = ensureDataDir(join(temp.dir, 'home'));
    const db = openRaw(home.database);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'from_the_future', 'x', 1)").run();
    db.close();
    const service = client();
    await expect(service.ready()).rejects.toMatchObject({ message: /written by a newer KernelLab \(schema version 99/ });
    await until('the host to exit', () => exited(hosts[0]!));
    await expect(service.call('app.health', {})).rejects.toMatchObject({ message: /newer KernelLab/ });
    expect(hosts).toHaveLength(1);
    // The box main shows: the reason in main's language (the core codes it, db_newer_than_app), under a title in it too.
    const why = await service.ready().catch((e: unknown) => e);
    expect(why).toMatchObject({ text: { code: 'db_newer_than_app', params: { path: home.database, version: 99 } } });
    expect(startFailedBox(why, 'en')).toEqual({ title: 'KernelLab could not start', body: (why as Error).message });
    const latest = (why as Error).message.match(/this app knows up to (\d+)\)/)![1];
    expect(startFailedBox(why, 'ko')).toEqual({
      title: 'KernelLab을 시작하지 못했습니다',
      body:
        `데이터베이스 ${home.database}은(는) 더 새로운 KernelLab이 썼습니다(스키마 버전 99, 이 앱은 ${latest}까지 압니다). ` +
        '파일은 그대로 두었습니다. 더 새로운 KernelLab을 설치하거나 --home으로 다른 데이터 폴더를 고르세요.',
    });
  });

  it("says a coded reason the service could not start in main's language (a data folder that is a file)", async () => {
    const home = join(temp.dir, 'a-file');
    writeFileSync(home, 'not a folder');
    const service = client({ start: { home, appRoot, workerEntry } });
    const why = await service.ready().catch((e: unknown) => e);
    expect(why).toMatchObject({ text: { code: 'error_data_folder_is_file' } });
    expect(startFailedBox(why, 'en')).toEqual({ title: 'KernelLab could not start', body: (why as Error).message });
    const ko = startFailedBox(why, 'ko');
    expect(ko.title).toBe('KernelLab을 시작하지 못했습니다');
    expect(ko.body).toContain(home);
    expect(ko.body.replace(home, '')).toMatch(/[\uac00-\ud7a3]/);
    expect(ko.body.replace(home, '').replace(/--home|KERNELLAB_HOME/g, '')).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('says a host that exits before it is ready in both languages, and gives up on it', async () => {
    const dies = join(temp.dir, 'dies.mjs');
    writeFileSync(dies, 'process.exit(3);\n');
    const gaveUp: KernelLabError[] = [];
    const service = client({ spawnHost: () => forkHost(dies), restarts: { count: 0, windowMs: 60_000 }, onGiveUp: (e) => gaveUp.push(e) });
    const early = await service.ready().catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'unavailable', message: 'the KernelLab service exited (code 3) before it was ready' });
    expect(saidInBothLanguages(early).ko).toBe('KernelLab 서비스가 준비되기 전에 끝났습니다(종료 코드 3)');
    await until('giving up', () => gaveUp.length === 1);
    expect(hosts).toHaveLength(1);
  });

  it("refuses a call before the service started or once it closed, coded for the page's language", async () => {
    // The host function itself, over an in-process channel: main never sends these in this order, a main of another version might.
    const replies: FromHost[] = [];
    let deliver!: (message: unknown) => void;
    const exits: number[] = [];
    runServiceHost({ postMessage: (message) => replies.push(message as FromHost), onMessage: (listener) => (deliver = listener) }, (code) =>
      exits.push(code),
    );
    const errorOf = (id: number) => {
      const reply = replies.find((r) => r.type === 'reply' && r.id === id);
      if (reply?.type !== 'reply' || reply.reply.ok) throw new Error(`call ${id} was not refused`);
      return KernelLabError.fromBody(reply.reply.error);
    };
    deliver({ type: 'call', id: 1, method: 'runs.list', input: {} });
    expect(errorOf(1)).toMatchObject({ code: 'unavailable', message: 'the KernelLab service has not started yet' });
    expect(saidInBothLanguages(errorOf(1)).ko).toBe('KernelLab 서비스가 아직 시작되지 않았습니다');
    deliver({ type: 'close' });
    await until('the host to close', () => exits.length === 1);
    deliver({ type: 'call', id: 2, method: 'runs.list', input: {} });
    expect(errorOf(2)).toMatchObject({ code: 'unavailable', message: 'KernelLab is shutting down' });
    expect(saidInBothLanguages(errorOf(2)).ko).toBe('KernelLab을 종료하는 중입니다');
  });
});
