import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The training loop will also run in a browser Web Worker (WebGPU), so nothing it loads may
 * import Node: what it needs of its host comes in a TrainingEnvironment (trainer.ts). This walks
 * the modules a file really loads — as Node loads them: `import type` is erased, while
 * `import { type X }` still loads its module — and reports every path to a Node built-in, and
 * every module on the way that uses a Node global (process, Buffer, setImmediate).
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const builtins = new Set(builtinModules);
/** Node's globals that a browser worker lacks. */
const nodeGlobals = new Set(['process', 'Buffer', 'setImmediate', 'require', '__dirname', '__filename', 'global']);

function loadedSpecifiers(file: string): { specifiers: string[]; globals: Set<string> } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const globals = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && nodeGlobals.has(node.text) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node))
      globals.add(node.text);
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      specifiers.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      specifiers.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) specifiers.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { specifiers, globals };
}

/** Every chain of imports from `entry` that reaches a Node built-in or global, as 'a.ts → b.ts → node:fs' or 'a.ts → b.ts uses process'. */
function nodeImportChains(entry: string): string[] {
  const chains: string[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, relative(root, file)];
    const { specifiers, globals } = loadedSpecifiers(file);
    for (const name of globals) chains.push(`${here.join(' → ')} uses ${name}`);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) walk(resolve(dirname(file), specifier), here);
      else if (specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]!)) chains.push([...here, specifier].join(' → '));
    }
  };
  walk(entry, []);
  return chains;
}

describe('the training loop imports nothing from Node', () => {
  it('from trainer.ts, no chain of imports reaches a Node built-in or a module using a Node global', () => {
    expect(nodeImportChains(resolve(here, 'trainer.ts'))).toEqual([]);
  });

  it('from the browser GPU Worker and its host (gpuhost/gpuWorker.ts, gpuHost.ts), none either', () => {
    expect(nodeImportChains(resolve(here, '../gpuhost/gpuWorker.ts'))).toEqual([]);
    expect(nodeImportChains(resolve(here, '../gpuhost/gpuHost.ts'))).toEqual([]);
  });

  it('finds the chains where they exist: the Node worker reaches node:fs through its checkpoint files', () => {
    const chains = nodeImportChains(resolve(here, 'worker.ts'));
    expect(chains.filter((c) => c.endsWith('src-main/core/training/checkpointIO.ts → node:fs'))).not.toEqual([]);
    expect(chains).toContain('src-main/core/training/worker.ts uses process');
  });
});
