/**
 * The model JSON of a Keras file on disk: the file itself (model.to_json()), or the config.json
 * inside a `.keras` file — a zip of config.json, metadata.json and the weights, of which only the
 * config is read (yauzl reads the zip's directory and that one member, not the weights). The
 * service takes the JSON text (training.importKeras), as the app sends it after reading a dropped file.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import yauzl from 'yauzl';
import { KernelLabError } from '../core/errors.ts';

/** A model config is a few hundred kB; anything far larger is not one. */
const maxConfigBytes = 8 << 20;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => {
      if (error) reject(new KernelLabError('invalid_input', `${basename(path)} is not a readable .keras (zip) file: ${error.message}`));
      else resolve(zip);
    });
  });
}

/** The text of one member of a zip, found by name; null when it has none. */
async function readMember(path: string, member: string): Promise<string | null> {
  const zip = await openZip(path);
  try {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === member ? resolve(e) : zip.readEntry()));
      zip.once('end', () => resolve(null));
      zip.once('error', reject);
      zip.readEntry();
    });
    if (!entry) return null;
    if (entry.uncompressedSize > maxConfigBytes)
      throw new KernelLabError(
        'invalid_input',
        `${basename(path)}: its ${member} is ${entry.uncompressedSize} bytes, more than a model config holds`,
      );
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s))),
    );
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    zip.close();
  }
}

/** Reads a Keras model file: JSON text, or a .keras zip's config.json. Refuses HDF5 (.h5) files with what to do. */
export async function readKerasFile(path: string): Promise<{ text: string; kind: 'json' | 'keras' }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new KernelLabError('invalid_input', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const handle = await open(path, 'r');
  const head = Buffer.alloc(8);
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    const text = await readMember(path, 'config.json');
    if (text === null)
      throw new KernelLabError(
        'invalid_input',
        `${basename(path)} is a zip without config.json, so not a .keras model file (model.save('model.keras') writes one)`,
      );
    return { text, kind: 'keras' };
  }
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])))
    throw new KernelLabError(
      'invalid_input',
      `${basename(path)} is an HDF5 (.h5) model; KernelLab reads model.to_json() or a .keras file: in Keras, model.save('model.keras') or open('model.json', 'w').write(model.to_json())`,
    );
  if (size > maxConfigBytes)
    throw new KernelLabError(
      'invalid_input',
      `${basename(path)} is ${size} bytes, more than a model's JSON holds; give model.to_json() or a .keras file`,
    );
  return { text: await readFile(path, 'utf8'), kind: 'json' };
}
