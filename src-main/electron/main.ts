import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, session, shell, type IpcMainInvokeEvent } from 'electron';
import { createService, resolveDataDir, type Service } from '../core/service.ts';
import { eventChannel, registerIpc } from './ipc.ts';
import { utilityWorker } from './workerLauncher.ts';

// electron-vite sets this in `npm start` (dev server with hot reload); a built app loads files.
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const rendererOrigin = devServerUrl ? new URL(devServerUrl).origin : pathToFileURL(join(import.meta.dirname, '../renderer')).href;

const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function homeFlag(): string | undefined {
  const arg = process.argv.find((a) => a.startsWith('--home='));
  return arg?.slice('--home='.length);
}

/** Only our own renderer's frames may call the API (VS Code checks every IPC sender the same way). */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith(rendererOrigin);
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
    },
  });
  window.once('ready-to-show', () => window.show());
  // No remote content: links to the web open in the user's browser; everything else is refused.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(rendererOrigin)) event.preventDefault();
  });
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
  return window;
}

let service: Service | undefined;

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  service = createService({
    dataDir: resolveDataDir({ flag: homeFlag() }),
    shell: 'electron',
    launchWorker: utilityWorker,
    workerEntry: join(import.meta.dirname, 'worker.js'),
    appRoot: app.getAppPath(),
  });
  registerIpc(service, isTrustedSender);
  service.events.subscribe((event) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send(eventChannel, event);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  void service?.close();
});
