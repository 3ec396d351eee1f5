/**
 * `POST /api/import/runs`: the body is a runs export itself (the bytes of the file that
 * `kernellab runs export --format json` writes, not wrapped in JSON). It is written to a
 * temporary file as it arrives, at most `limit` bytes, then imported from there a part at a time
 * (RunStore.importRunsFile), and the file is removed. So a 252 MiB export is never one string in
 * the server, as it is through `runs.import` ({ content }), which still works as before.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelLabError } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { mustClose } from './requestBody.ts';

/** Writes the body to `path`; over `limit` bytes it rejects with `too_large` (413) and discards the rest. */
function bodyToFile(req: IncomingMessage, path: string, limit: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const discard = (message: string) => {
      mustClose.add(req);
      req.unpipe();
      req.resume();
      reject(new KernelLabError('too_large', message));
    };
    // Refused before any file is opened: a stream opened and dropped at once would finish opening
    // after the folder was removed, and its ENOENT would surface with no one listening.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return discard(`Request body of ${declared} bytes is over the ${limit}-byte limit`);
    const out = createWriteStream(path);
    out.on('error', reject);
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !out.destroyed) {
        out.destroy();
        discard(`Request body is over the ${limit}-byte limit`);
      }
    });
    req.on('error', reject);
    out.on('finish', () => (size > limit ? undefined : resolve()));
    req.pipe(out);
  });
}

export async function importUpload(
  req: IncomingMessage,
  service: Service,
  limit: number,
  signal: AbortSignal,
): Promise<{ imported: number; skipped: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'kernellab-import-'));
  try {
    const file = join(dir, 'runs.json');
    await bodyToFile(req, file, limit);
    return await service.context.store.importRunsFile(file, {
      signal,
      onProgress: (progress) => service.events.emit('runs.importProgress', progress),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
