import { join } from 'node:path';
import { app, BrowserWindow, dialog, Menu, session, shell, type IpcMainInvokeEvent } from 'electron';
import { contentSecurityPolicyHeader } from '../core/contract/pagePolicy.ts';
import { gpuHostTokenLabel, importDialogOptions, startFailedBox, stoppedBox } from './desktopText.ts';
import { guardWebContents } from './guard.ts';
import { queuedRunOf } from './gpuHostPolicy.ts';
import { GpuHostWindow } from './gpuHostWindow.ts';
import { eventChannel, registerIpc } from './ipc.ts';
import { langSwitch, type MainLanguage } from './language.ts';
import { languageFileName, startMainLanguage } from './languageFile.ts';
import { menuTemplate } from './menu.ts';
import { PathGrants } from './pathGrants.ts';
import { holdQuitUntilClosed } from './quit.ts';
import { ServiceClient } from './serviceClient.ts';
import { isTrustedFrame, permissionGranted, rendererSource } from './trust.ts';
import { utilityServiceHost, utilityWorker } from './workerLauncher.ts';

// KERNELLAB_LANG speaks over the desktop's language: Chromium's --lang sets the page's
// navigator.languages, which the renderer reads (a switch made in the app still wins). A value that
// names no language of ours is reported once main knows the system's languages (startLanguage).
const envLang = langSwitch(process.env.KERNELLAB_LANG);
if (envLang) app.commandLine.appendSwitch('lang', envLang);

// electron-vite sets this in `npm start` (dev server with hot reload); a built app loads files.
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererDir = join(import.meta.dirname, '../renderer');
const rendererIndex = join(rendererDir, 'index.html');
const source = rendererSource(devServerUrl, rendererDir);

function homeFlag(): string | undefined {
  const arg = process.argv.find((a) => a.startsWith('--home='));
  return arg?.slice('--home='.length);
}

/** Only our own renderer's top-level page may call the API (VS Code checks every IPC sender the same way). */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  return isTrustedFrame(event.senderFrame, source);
}

/** The file dialog, opened by main over the asking window: what the user picks is what a call may read. */
async function choosePaths(event: IpcMainInvokeEvent, kind: 'files' | 'folder', language: MainLanguage): Promise<string[]> {
  const window = BrowserWindow.fromWebContents(event.sender);
  const options: Electron.OpenDialogOptions = importDialogOptions(kind, language.locale);
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'KernelLab',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
  return window;
}

// Every web contents, not only the main window's: no webviews, no navigation away, no new windows.
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, source, (url) => void shell.openExternal(url)));

app.whenReady().then(() => {
  // Until the page says which language it set, main speaks the switch it remembered from the
  // page, else KERNELLAB_LANG, else the desktop's languages: the page's own order.
  const language = startMainLanguage({
    file: join(app.getPath('userData'), languageFileName),
    envLang: process.env.KERNELLAB_LANG,
    systemLanguages: [...app.getPreferredSystemLanguages(), app.getLocale()],
    say: (line) => console.error(line),
  });
  const setMenu = () => Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(language.locale, process.platform)));
  setMenu();
  language.onChange(setMenu);
  // Dev-server pages get the policy as a header; built file:// pages carry it in index.html's meta tag.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicyHeader] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionGranted(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => permissionGranted(permission));
  session.defaultSession.setDevicePermissionHandler(() => false);
  // The service runs in its own utility process (serviceHost.ts): SQLite, imports, dataset hashing
  // and the scheduler never hold this thread, which only draws windows and forwards calls.
  const home = homeFlag();
  // The hidden GPU host window (gpuHostWindow.ts), started when a run queued wants a GPU.
  const gpuHost: { window?: GpuHostWindow } = {};
  const service = new ServiceClient({
    spawnHost: () => utilityServiceHost(join(import.meta.dirname, 'serviceHost.js')),
    start: {
      // The host resolves the data folder (--home, KERNELLAB_HOME, the per-user folder): main loads no core code but the contract.
      ...(home !== undefined && { home }),
      appRoot: app.getAppPath(),
      workerEntry: join(import.meta.dirname, 'worker.js'),
    },
    launchWorker: utilityWorker,
    onEvent: (event) => {
      for (const window of BrowserWindow.getAllWindows()) window.webContents.send(eventChannel, event);
      const queued = queuedRunOf(event);
      if (queued !== null)
        gpuHost.window?.runQueued(queued).catch((error: unknown) => console.error(`gpu host: run ${queued}: ${(error as Error).message}`));
    },
    onGiveUp: (error) => {
      const box = stoppedBox(error, language.locale);
      dialog.showErrorBox(box.title, box.body);
      app.exit(1);
    },
  });
  service.ready().catch((error: unknown) => {
    const box = startFailedBox(error, language.locale);
    dialog.showErrorBox(box.title, box.body);
    app.exit(1);
  });
  // Main checks the sender and turns dialog tokens into paths; the host validates and runs the call.
  registerIpc(service, isTrustedSender, new PathGrants(), (event, kind) => choosePaths(event, kind, language), language);
  gpuHost.window = new GpuHostWindow({
    service,
    preload: join(import.meta.dirname, '../preload/gpuHostPreload.cjs'),
    load: (window) =>
      devServerUrl ? window.loadURL(new URL('gpuHost.html', devServerUrl).href) : window.loadFile(join(rendererDir, 'gpuHost.html')),
    isTrusted: (event) => isTrustedFrame(event.senderFrame, source),
    tokenLabel: () => gpuHostTokenLabel(language.locale),
  });
  service
    .ready()
    .then(() => gpuHost.window?.startIfQueued())
    .catch((error: unknown) => console.error(`gpu host: queued runs not read: ${(error as Error).message}`));
  // Quitting waits for the service: running runs are interrupted (resumable) and the database closed.
  app.on(
    'before-quit',
    holdQuitUntilClosed(
      () => {
        gpuHost.window?.close();
        return service.close();
      },
      (code) => app.exit(code),
    ),
  );
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
