import { svelte } from '@sveltejs/vite-plugin-svelte';
import { configDefaults, defineConfig } from 'vitest/config';

// The message functions are generated (i18n/compile.ts): a bare `npx vitest run x.test.ts` compiles them first.
const compileMessages = 'i18n/vitestSetup.ts';

export default defineConfig({
  test: {
    environment: 'node',
    // Real child processes and SQLite files: forks isolate native modules and process.exit.
    pool: 'forks',
    // The CLI speaks the system's language (LANG=ko_KR → Korean): tests read its English words, so
    // they pin it, and the Korean tests (cli/cliLanguage.test.ts) ask for Korean themselves.
    env: { KERNELLAB_LANG: 'en' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: more workers only make tfjs tests fight over them.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts', 'bench/**/*.test.ts', 'i18n/**/*.test.ts'],
          exclude: [...configDefaults.exclude, '**/*.svelte.test.ts'],
          globalSetup: [compileMessages],
        },
      },
      {
        // The views' state classes (`*.svelte.ts`) use runes: compiled by Svelte for the client (see
        // clientEnvironment.ts) and driven against one real `kernellab serve` (rendererGlobalSetup.ts).
        extends: true,
        plugins: [svelte({ configFile: false })],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'renderer state',
          include: ['src-renderer/**/*.svelte.test.ts'],
          environment: './src-renderer/test/clientEnvironment.ts',
          globalSetup: [compileMessages, './src-main/test/rendererGlobalSetup.ts'],
          setupFiles: ['./src-renderer/test/servedBridge.ts'],
          // Through Vite, so `svelte` resolves with the browser condition to its client runtime.
          server: { deps: { inline: ['svelte'] } },
        },
      },
    ],
  },
});
