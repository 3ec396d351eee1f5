/**
 * `POST /api/import/runs`: the body is a runs export itself (the bytes of the file that
 * `kernellab runs export --format json` writes, not wrapped in JSON); browser mode's "Import
 * runs…" button posts the chosen file here. It is written to a temporary file as it arrives, at
 * most `limit` bytes, then imported from there a part at a time (RunStore.importRunsFile), and the
 * file is removed whatever happens. So a 252 MiB export is never one string in the server, as it
 * is through `runs.import` ({ content }), which still works as before.
 *
 * The temporary file lies in the data folder, not the system's temp folder: that is often a small
 * RAM-backed tmpfs, while the data folder is where the imported runs go anyway (the database grows
 * by about the export's size), so an upload that fits there has room to be imported.
 */
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { coded } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { mustClose } from './requestBody.ts';

/** The prefix of the temporary folders an upload is written to, in the data folder. */
export const uploadFolderPrefix = '.import-upload-';

/**
 * An upload folder untouched this long belongs to no live upload: a server killed mid-upload (or
 * mid-import) left it. A live upload writes its file as the bytes come, so its time keeps moving.
 */
export const leftUploadMs = 60 * 60 * 1000;

/** The files of an upload folder: a runs.import body is written to one and decoded into another (importBody.ts), so any may be the live one. */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isFile() ? [join(dir, e.name)] : []));
  } catch {
    // Removed meanwhile (another server on the same data folder): its own time says nothing more.
    return [];
  }
}

/**
 * Removes the upload folders a killed server left in the data folder (each holds up to a whole
 * export): those whose folder and files were last changed over `leftUploadMs` ago. Younger ones may
 * be another server's upload on the same data folder, and are kept. Returns how many went.
 */
export function removeLeftUploads(root: string, now = Date.now()): number {
  let removed = 0;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(uploadFolderPrefix)) continue;
    const dir = join(root, entry.name);
    const times = [dir, ...filesIn(dir)].map((path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (now - Math.max(...times) < leftUploadMs) continue;
    rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

const tooLarge = (limit: number) =>
  coded('too_large', `The runs export is over the ${limit}-byte upload limit`, 'error_import_upload_too_large', { limit });

/**
 * Writes the body to `path`. Over `limit` bytes it rejects with `refusal(declared length or null)`
 * (a `too_large` error: 413) and discards the rest; a client that goes away mid-upload rejects it.
 * It settles only once the file is closed, so the caller removes it after its last write.
 */
export function bodyToFile(
  req: IncomingMessage,
  path: string,
  limit: number,
  refusal: (declared: number | null) => Error = () => tooLarge(limit),
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Refused before any file is opened: nothing to remove, nothing left to finish opening.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      mustClose.add(req);
      req.resume();
      return reject(refusal(declared));
    }
    const out = createWriteStream(path);
    let failed: unknown = null;
    const fail = (error: unknown) => {
      if (failed !== null) return;
      failed = error;
      req.unpipe(out);
      out.destroy();
    };
    out.on('close', () => (failed === null ? resolve() : reject(failed as Error)));
    out.on('error', fail);
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && failed === null) {
        // The reply closes the connection, which bounds what is still read and dropped.
        mustClose.add(req);
        fail(refusal(null));
        req.resume();
      }
    });
    req.on('error', fail);
    req.on('close', () => {
      if (!req.complete) fail(new Error('The upload was cut short: the client went away'));
    });
    req.pipe(out);
  });
}

export async function importUpload(
  req: IncomingMessage,
  service: Service,
  limit: number,
  signal: AbortSignal,
): Promise<{ imported: number; skipped: number }> {
  const dir = mkdtempSync(join(service.context.layout.root, uploadFolderPrefix));
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
