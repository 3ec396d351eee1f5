import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

/**
 * Builds the three Electron bundles into out/: main (with the service host and the training
 * worker, which utilityProcess starts as their own files), the sandboxed preload, and the Svelte renderer that
 * browser mode (`kernellab serve`) serves as well.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // tfjs-core registers gradients only from its ESM files, whose extensionless imports plain
      // Node cannot load (see core/training/esmResolveHook.ts): bundle it instead.
      externalizeDeps: { exclude: ['@tensorflow/tfjs-core'] },
      rolldownOptions: {
        input: {
          main: 'src-main/electron/main.ts',
          serviceHost: 'src-main/electron/serviceHostEntry.ts',
          worker: 'src-main/core/training/worker.ts',
          // RunDataCache starts it as a worker thread (a lent run's images prepared off the event loop).
          runDataWorker: 'src-main/core/agents/runDataWorker.ts',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only a few built-ins: everything is bundled into one CJS file.
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: {
        // gpuHostPreload: the desktop GPU host's hidden window (agent calls only; gpuHostWindow.ts).
        input: { preload: 'src-main/electron/preload.ts', gpuHostPreload: 'src-main/electron/gpuHostPreload.ts' },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    build: {
      outDir: 'out/renderer',
      // gpuHost.html: the desktop GPU host's hidden window (src-renderer/gpuHost/main.ts).
      rolldownOptions: { input: { index: 'src-renderer/index.html', gpuHost: 'src-renderer/gpuHost.html' } },
    },
    // The GPU Worker (core/gpuhost/gpuWorker.ts, "Train on this browser's GPU") is a module Worker with its own chunks.
    worker: { format: 'es' },
    plugins: [svelte()],
  },
});
