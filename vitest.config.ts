import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts', 'bench/**/*.test.ts', 'i18n/**/*.test.ts'],
    // The message functions are generated (i18n/compile.ts): a bare `npx vitest run x.test.ts` compiles them first.
    globalSetup: ['i18n/vitestSetup.ts'],
    environment: 'node',
    // Real child processes and SQLite files: forks isolate native modules and process.exit.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here: more workers only make tfjs tests fight over them.
    maxWorkers: 2,
  },
});
