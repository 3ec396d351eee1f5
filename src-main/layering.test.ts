import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering rules live in eslint.config.js; these prove they bite, on code that breaks them.
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function messagesFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering lint', () => {
  it('fails when src-main/core imports electron', async () => {
    const messages = await messagesFor('src-main/core/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(messages.join('\n')).toMatch(/no-restricted-imports: .*must not import electron/);
  });

  it('fails when src-main/core imports a shell', async () => {
    const messages = await messagesFor(
      'src-main/core/bad.ts',
      "import { startServer } from '../server/server.ts';\nexport const x = startServer;\n",
    );
    expect(messages.join('\n')).toMatch(/must not import a shell/);
  });

  it('fails when the renderer imports the contract as a value, and passes a type import', async () => {
    const value = await messagesFor(
      'src-renderer/lib/bad.ts',
      "import { methods } from '../../src-main/core/contract/index.ts';\nexport const x = methods;\n",
    );
    expect(value.join('\n')).toMatch(/import type/);
    const typeOnly = await messagesFor(
      'src-renderer/lib/good.ts',
      "import type { Api } from '../../src-main/core/contract/index.ts';\nexport type X = Api;\n",
    );
    expect(typeOnly).toEqual([]);
  });

  it('fails on Math.random, which would make runs irreproducible', async () => {
    const messages = await messagesFor('src-main/core/bad.ts', 'export const x = Math.random();\n');
    expect(messages.join('\n')).toMatch(/seeded/);
  });

  it('fails when a CLI command prints around cli/format.ts, and passes through it', async () => {
    for (const code of ["console.log('x');\n", "process.stdout.write('x');\n", "console.error('x');\n"]) {
      const messages = await messagesFor('src-main/cli/bad.ts', code);
      expect(messages.join('\n'), code).toMatch(/no-restricted-syntax: The CLI prints through src-main\/cli\/format.ts/);
    }
    const good = await messagesFor('src-main/cli/good.ts', "import { print } from './format.ts';\nprint('x');\n");
    expect(good).toEqual([]);
  });

  it('fails on an import cycle in core, naming why, and passes the real module', async () => {
    // problems.ts imports KernelLabError from errors.ts, so errors.ts importing problems.ts closes a loop.
    const errorsSource = readFileSync(new URL('core/errors.ts', import.meta.url), 'utf8');
    const cyclic = await messagesFor(
      'src-main/core/errors.ts',
      `${errorsSource}\nimport { isGzip } from './datasets/problems.ts';\nexport const x = isGzip;\n`,
    );
    expect(cyclic.join('\n')).toMatch(/layering\/no-cycle: Dependency cycle.*imports it back.*move the shared part down/);
    expect(await messagesFor('src-main/core/errors.ts', errorsSource)).toEqual([]);
  });

  it('fails on a circle that type-only imports close, which import-x/no-cycle lets pass, and passes the real modules', async () => {
    // Stop 24's circle: expand.ts imports planSweep from pointPlan.ts, and pointPlan.ts took a type back.
    const pointPlan = readFileSync(new URL('core/sweeps/pointPlan.ts', import.meta.url), 'utf8');
    const typeBack = await messagesFor(
      'src-main/core/sweeps/pointPlan.ts',
      `${pointPlan}\nimport type { ExpandedSweep } from './expand.ts';\nexport type X = ExpandedSweep;\n`,
    );
    expect(typeBack.join('\n')).toMatch(
      /layering\/no-type-cycle: Type-only dependency cycle via \.\/expand\.ts → \.\/pointPlan\.ts: .*declare the shared type in the lower module/,
    );
    expect(typeBack.join('\n')).not.toMatch(/layering\/no-cycle:/);
    // A circle of types alone: expand.ts takes SweepPoint from pointRun.ts as a type.
    const pointRun = readFileSync(new URL('core/sweeps/pointRun.ts', import.meta.url), 'utf8');
    const typesOnly = await messagesFor(
      'src-main/core/sweeps/pointRun.ts',
      `${pointRun}\nimport { type ExpandedSweep } from './expand.ts';\nexport type X = ExpandedSweep;\n`,
    );
    expect(typesOnly.join('\n')).toMatch(/layering\/no-type-cycle: Type-only dependency cycle via \.\/expand\.ts → \.\/pointRun\.ts/);
    expect(await messagesFor('src-main/core/sweeps/pointPlan.ts', pointPlan)).toEqual([]);
    expect(await messagesFor('src-main/core/sweeps/pointRun.ts', pointRun)).toEqual([]);
  });

  it('fails when the contract imports anything but zod and its own files', async () => {
    for (const source of ['../datasets/registry.ts', '../errors.ts', 'yaml', 'node:fs', './nested/x.ts']) {
      const messages = await messagesFor('src-main/core/contract/bad.ts', `import * as m from '${source}';\nexport const x = m;\n`);
      expect(messages.join('\n'), source).toMatch(/no-restricted-imports: .*imports only zod and its own files/);
    }
    const own = await messagesFor(
      'src-main/core/contract/good.ts',
      "import { z } from 'zod';\nimport { method } from './define.ts';\nexport const x = method({ input: z.object({}), output: z.null(), summary: 'x' });\n",
    );
    expect(own).toEqual([]);
  });

  it('fails when a core module imports the service, even for a type', async () => {
    const messages = await messagesFor(
      'src-main/core/sweeps/bad.ts',
      "import type { ServiceContext } from '../service.ts';\nexport type X = ServiceContext;\n",
    );
    expect(messages.join('\n')).toMatch(/service\.ts is the top of src-main\/core.*context\.ts/);
    const context = await messagesFor(
      'src-main/core/sweeps/good.ts',
      "import type { ServiceContext } from '../context.ts';\nexport type X = ServiceContext;\n",
    );
    expect(context).toEqual([]);
  });

  it('fails when a shell imports core past the contract, the service and the errors', async () => {
    for (const shell of ['electron', 'server', 'cli']) {
      const past = await messagesFor(
        `src-main/${shell}/bad.ts`,
        "import { Scheduler } from '../core/sweeps/scheduler.ts';\nexport const x = Scheduler;\n",
      );
      expect(past.join('\n'), shell).toMatch(
        /A shell \(electron, server, cli\) imports only core\/contract, core\/service\.ts and core\/errors\.ts/,
      );
      const allowed = await messagesFor(
        `src-main/${shell}/good.ts`,
        [
          "import { methods } from '../core/contract/index.ts';",
          "import { SweepSpec } from '../core/contract/sweeps.ts';",
          "import { KernelLabError } from '../core/errors.ts';",
          "import { createService } from '../core/service.ts';",
          'export const x = [methods, SweepSpec, KernelLabError, createService];',
          '',
        ].join('\n'),
      );
      expect(allowed, shell).toEqual([]);
    }
  });
});
