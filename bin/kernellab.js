#!/usr/bin/env node
// The CLI runs its TypeScript sources directly: Node 22.18+ strips types without a build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`kernellab needs Node.js 22.18 or newer; this is ${process.version}.`);
  process.exit(1);
}
// Before any other source: keeps their type-stripped JavaScript between starts (tsSourceCache.ts).
await import('../src-main/core/tsSourceCacheHook.ts');
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv);
