// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { ModuleInfo } from 'eslint-plugin-import-x/core/index';
import { moduleVisitor } from 'eslint-plugin-import-x/utils';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Layering (DESIGN.md): a folder is a process or a layer, and these rules say who may import whom. */
const coreMayNotImport = {
  patterns: [
    {
      group: ['electron', 'electron/*'],
      message:
        'src-main/core runs in the CLI and the HTTP server too: it must not import electron. Put Electron code in src-main/electron and pass it in (see WorkerLauncher).',
    },
    {
      group: ['**/electron/**', '**/server/**', '**/cli/**'],
      message: 'src-main/core is the layer the shells build on: it must not import a shell (electron, server, cli).',
    },
  ],
};

/** Nothing in core imports the service: it is the top of core, built from the rest. */
const coreMayNotImportService = {
  group: ['**/service.ts'],
  message:
    'service.ts is the top of src-main/core: it builds the context and spreads every handler map, so a core module that imports it makes a cycle. Take ServiceContext from context.ts.',
};

/**
 * The contract is the bottom of core: the renderer, the shells and every core module import it, so
 * it imports only zod and its own files (no dataset registry, no yaml, no models or store code).
 */
const contractMayOnlyImport = {
  regex: '^(?!(zod|\\./[^/]+)$)',
  message:
    'src-main/core/contract is the bottom layer every process shares (the renderer too): it imports only zod and its own files. Move the schema into contract/, or move the code that needs more out of it.',
};

/**
 * The shells (electron, server, cli) are thin: they reach core through the contract, the service
 * and the errors, so the core can be reshaped behind them. What else a shell needs is re-exported
 * by service.ts or becomes an API method.
 */
const shellMayNotImport = {
  patterns: [
    {
      regex: '(^|/)core/(?!(contract/[^/]+|service\\.ts|errors\\.ts)$)',
      message:
        'A shell (electron, server, cli) imports only core/contract, core/service.ts and core/errors.ts: go through the API (service.call) or a re-export in service.ts, so core can change behind the shells.',
    },
  ],
};

/**
 * The agent process (src-main/agent: `kernellab agent`, the single-file kernellab-agent) runs on
 * cluster nodes without a data folder: it reaches core only through the agent loop, the contract
 * and the errors — never the store or the service, which would pull SQLite into a node that has none.
 */
const agentMayNotImport = {
  patterns: [
    {
      regex: '(^|/)core/(?!(contract/[^/]+|errors\\.ts|agents/agent\\.ts)$)',
      message:
        'src-main/agent imports only core/agents/agent.ts, core/contract and core/errors: an agent has no data folder, so no store or service.',
    },
  ],
};

/**
 * import-x's no-cycle, with a message that says why. Cycles make module start-up order matter (a
 * value read before its module has run is undefined) and tie layers together so neither can move.
 * Type-only imports are erased and not followed here; layering/no-type-cycle below walks them.
 */
const noCycle = {
  ...importX.rules['no-cycle'],
  meta: {
    ...importX.rules['no-cycle'].meta,
    messages: {
      cycle:
        'Dependency cycle: this module imports one that imports it back. src-main/core is layered (contract at the bottom, service at the top); move the shared part down into a module both can import.',
      cycleSource:
        'Dependency cycle via {{source}}: this module imports one that imports it back. src-main/core is layered (contract at the bottom, service at the top); move the shared part down into a module both can import.',
    },
  },
};

/** An import or export statement that brings in types only (erased when TypeScript compiles). */
function isTypeOnlyStatement(/** @type {any} */ node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((/** @type {any} */ s) => s.importKind === 'type' || s.exportKind === 'type');
}

/**
 * A circle that a type-only import closes. import-x's no-cycle skips `import type` (erased, so start-up
 * order cannot break), yet a circle of types still ties two modules so neither can move: one passed
 * lint in stop 24 (sweeps/expand.ts ↔ pointPlan.ts). This walks the same module graph import-x builds
 * (its ModuleInfo, type imports included) breadth-first over (module, "a type-only edge was taken"),
 * and reports a path back to this file only when a type-only edge is on it: circles of values alone
 * are layering/no-cycle's. Only relative imports are followed: a package cannot import us back.
 */
const noTypeCycle = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      typeCycle:
        'Type-only dependency cycle via {{route}}: this module imports one that imports it back, types included. A circle of types still ties the two modules together so neither can move; declare the shared type in the lower module (or in contract/) and import it from there.',
    },
  },
  /** @param {import('eslint').Rule.RuleContext} context */
  create(context) {
    const filename = context.physicalFilename;
    /** (module path, whether a type-only edge was taken) pairs already walked from this file. */
    const walked = new Set();
    return {
      ...moduleVisitor((/** @type {any} */ source, /** @type {any} */ importer) => {
        if (typeof source.value !== 'string' || !source.value.startsWith('.')) return;
        const first = ModuleInfo.get(source.value, /** @type {any} */ (context));
        if (first == null || first.path === filename) return;
        const start = { info: first, viaType: isTypeOnlyStatement(importer), route: [source.value] };
        if (walked.has(`${start.viaType}:${first.path}`)) return;
        walked.add(`${start.viaType}:${first.path}`);
        const queue = [start];
        while (queue.length > 0) {
          const { info, viaType, route } = /** @type {typeof start} */ (queue.shift());
          for (const [path, { resolve: next, declarations }] of info.getImports()) {
            const relative = [...declarations].filter((d) => String(d.source.value).startsWith('.'));
            if (relative.length === 0) continue;
            const typed = viaType || relative.every((d) => d.isOnlyImportingTypes);
            if (path === filename) {
              if (!typed) continue;
              context.report({ node: importer, messageId: 'typeCycle', data: { route: [...route, relative[0].source.value].join(' → ') } });
              // What is still queued was not walked: a later import of this file may need it.
              for (const left of queue) walked.delete(`${left.viaType}:${left.info.path}`);
              return;
            }
            if (walked.has(`${typed}:${path}`)) continue;
            walked.add(`${typed}:${path}`);
            const nextInfo = next();
            if (nextInfo != null) queue.push({ info: nextInfo, viaType: typed, route: [...route, relative[0].source.value] });
          }
        }
      }),
      'Program:exit'() {
        walked.clear();
      },
    };
  },
};

const rendererMayNotImport = {
  patterns: [
    {
      group: ['**/src-main/**'],
      allowTypeImports: true,
      message: 'The renderer runs without Node access: it may import the contract with `import type` only.',
    },
    {
      group: ['node:*', 'electron', 'better-sqlite3', '@tensorflow/*'],
      message: 'The renderer runs without Node access and must not load Node or native modules.',
    },
  ],
};

const seededRandomOnly = {
  selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
  message: 'Math.random is unseeded: use the seeded generator in core/random.ts so runs are reproducible.',
};

/** CLI output carries names from outside (imports, other users' runs): it goes through cli/format.ts. */
const cliPrintsThroughFormat = [
  {
    selector: "CallExpression[callee.object.name='console']",
    message:
      'The CLI prints through src-main/cli/format.ts (print, printError, printJson, printData), which keeps control characters in run names and errors from acting on the terminal.',
  },
  {
    selector: "CallExpression[callee.property.name='write'][callee.object.property.name=/^std(out|err)$/]",
    message:
      'The CLI prints through src-main/cli/format.ts (print, printError, printJson, printData), which keeps control characters in run names and errors from acting on the terminal.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      '.ci/.node/**',
      'test-results/**',
      'playwright-report/**',
      'e2e/artifacts/**',
      'bench/results/**',
      '**/__fixtures__/**',
      'i18n/paraglide/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', seededRandomOnly],
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    plugins: { layering: { rules: { 'no-cycle': noCycle, 'no-type-cycle': noTypeCycle } } },
    settings: {
      'import-x/resolver-next': [createNodeResolver()],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'no-restricted-imports': ['error', coreMayNotImport],
      'layering/no-cycle': ['error', { ignoreExternal: true }],
      'layering/no-type-cycle': 'error',
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    // Tests build a whole service to drive it through the API.
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...coreMayNotImport.patterns, coreMayNotImportService] }] },
  },
  {
    files: ['src-main/core/contract/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...coreMayNotImport.patterns, contractMayOnlyImport] }] },
  },
  {
    files: ['src-main/electron/**/*.ts', 'src-main/server/**/*.ts', 'src-main/cli/**/*.ts'],
    // Tests may set up fixtures (datasets on disk, a tiny model) from core directly.
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', shellMayNotImport] },
  },
  {
    // The single-file agent's start runs as a Node SEA main: CommonJS, built-ins only.
    files: ['src-main/agent/sea.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The agent (a remote executor's process) runs the core's agent loop and nothing else of core.
    files: ['src-main/agent/**/*.ts'],
    ignores: ['**/*.test.ts', 'src-main/agent/buildSea.ts'],
    rules: { 'no-restricted-imports': ['error', agentMayNotImport] },
  },
  {
    files: ['src-main/cli/**/*.ts'],
    ignores: ['src-main/cli/format.ts', 'src-main/cli/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', seededRandomOnly, ...cliPrintsThroughFormat] },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      'no-restricted-imports': ['error', rendererMayNotImport],
      // Value imports of the contract would pull zod and Node code into the page: types only.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src-main/**'], allowTypeImports: true, message: 'Import the contract with `import type` only.' }] },
      ],
    },
  },
);
