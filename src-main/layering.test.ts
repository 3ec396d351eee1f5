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
});
