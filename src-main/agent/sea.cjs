// The single-file kernellab-agent's own start (Node SEA main; CommonJS, Node built-ins only).
// The executable carries the agent's part of KernelLab and its packages as one asset (app.bin: a
// gzip of a JSON index and the files' bytes, written by buildSea.ts). It unpacks them once per
// version into the user's cache, whole or not at all (a temporary folder renamed into place), then
// imports the agent from there with this executable's own Node. Started again with
// KERNELLAB_AGENT_ROLE=worker it is the training worker instead.
'use strict';
const sea = require('node:sea');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const zlib = require('node:zlib');

function unpack() {
  const asset = Buffer.from(sea.getAsset('app.bin'));
  const version = createHash('sha256').update(asset).digest('hex').slice(0, 16);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const root = path.join(cache, 'kernellab-agent', `app-${version}`);
  if (fs.existsSync(path.join(root, '.complete'))) return root;
  const data = zlib.gunzipSync(asset);
  const indexLength = data.readUInt32BE(0);
  const index = JSON.parse(data.subarray(4, 4 + indexLength).toString('utf8'));
  const temp = `${root}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  let offset = 4 + indexLength;
  for (const file of index.files) {
    const target = path.join(temp, file.path);
    if (!target.startsWith(temp + path.sep)) throw new Error(`kernellab-agent: a packed path leaves its folder: ${file.path}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data.subarray(offset, offset + file.size), { mode: file.mode });
    offset += file.size;
  }
  fs.writeFileSync(path.join(temp, '.complete'), index.version);
  try {
    fs.renameSync(temp, root);
  } catch (error) {
    // Another agent on this node unpacked the same version first: use that one.
    fs.rmSync(temp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(root, '.complete'))) throw error;
  }
  return root;
}

(async () => {
  const root = unpack();
  const at = (relative) => pathToFileURL(path.join(root, relative)).href;
  if (process.env.KERNELLAB_AGENT_ROLE === 'worker') {
    // The worker loads tfjs's ESM files, whose imports need the resolve hook (esmResolveHook.ts).
    await import(at('src-main/core/training/esmResolveHook.ts'));
    await import(at('src-main/core/training/worker.ts'));
    return;
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const { main } = await import(at('src-main/agent/main.ts'));
  // In a single executable argv[1] is the executable again, where commander expects a script.
  process.exitCode = await main(process.argv, version);
})().catch((error) => {
  process.stderr.write(`kernellab-agent: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
