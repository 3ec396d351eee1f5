/**
 * The model JSON of a Keras file: the file itself (model.to_json()), or the config.json inside a
 * `.keras` file — a zip of config.json, metadata.json and the weights, of which only the config is
 * read (yauzl reads the zip's directory and that one member, never the weights). One reader for
 * both shells: the CLI opens a path (`kernellab import keras model.keras`), the app sends the
 * dropped file's bytes (training.importKeras with kerasFile) and the service reads them here.
 * HDF5 (.h5) files are refused with what to do.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import yauzl from 'yauzl';
import { coded } from '../../errors.ts';

/** A model config is a few hundred kB; anything far larger is not one (the contract's KerasJsonText says the same). */
export const maxConfigBytes = 8 << 20;

const zipMagic = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const hdf5Magic = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface KerasFileText {
  text: string;
  kind: 'json' | 'keras';
}

type ZipOpener = (options: yauzl.Options, callback: (error: Error | null, zip: yauzl.ZipFile) => void) => void;

/** A zip's directory, from a file or from bytes; refused in words when it is not a readable zip. */
function openZip(name: string, opener: ZipOpener): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // validateEntrySizes: a member that inflates past its declared size fails instead of growing.
    opener({ lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => {
      if (error) reject(notZip(name, error));
      else resolve(zip);
    });
  });
}

/** The text of a zip's config.json, at most maxConfigBytes; null when the zip has none. */
async function configOf(name: string, opener: ZipOpener): Promise<string | null> {
  const zip = await openZip(name, opener);
  try {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === 'config.json' ? resolve(e) : zip.readEntry()));
      zip.once('end', () => resolve(null));
      zip.once('error', (error: Error) => reject(notZip(name, error)));
      zip.readEntry();
    });
    if (!entry) return null;
    if (entry.uncompressedSize > maxConfigBytes)
      throw coded(
        'invalid_input',
        `${name}: its config.json is ${entry.uncompressedSize} bytes, more than a model config holds (${maxConfigBytes} at most)`,
        'keras_config_too_big',
        { name, bytes: entry.uncompressedSize, maximum: maxConfigBytes },
      );
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (error, s) => (error ? reject(configUnreadable(name, error)) : resolve(s))),
    );
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (error) {
      throw configUnreadable(name, error as Error);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    zip.close();
  }
}

const notZip = (name: string, error: Error) =>
  coded('invalid_input', `${name} is not a readable .keras (zip) file: ${error.message}`, 'keras_not_zip', {
    name,
    reason: error.message.slice(0, 500),
  });

const configUnreadable = (name: string, error: Error) =>
  coded('invalid_input', `${name}: its config.json cannot be read: ${error.message}`, 'keras_config_unreadable', {
    name,
    reason: error.message.slice(0, 500),
  });

const noConfig = (name: string) =>
  coded(
    'invalid_input',
    `${name} is a zip without config.json, so not a .keras model file (model.save('model.keras') writes one)`,
    'keras_no_config',
    { name },
  );

const hdf5 = (name: string) =>
  coded(
    'invalid_input',
    `${name} is an HDF5 (.h5) model; KernelLab reads model.to_json() or a .keras file: in Keras, model.save('model.keras') or open('model.json', 'w').write(model.to_json())`,
    'keras_hdf5',
    { name },
  );

const tooLargeForJson = (name: string, size: number) =>
  coded(
    'invalid_input',
    `${name} is ${size} bytes, more than a model's JSON holds; give model.to_json() or a .keras file`,
    'keras_json_too_big',
    { name, bytes: size },
  );

/**
 * A file that is neither a zip nor HDF5 is read as the model's JSON; one whose first character is
 * not `{` is some other file (a picture, a weights file) and is refused naming its first bytes.
 */
function jsonText(name: string, bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (text.trimStart().startsWith('{')) return text;
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw coded(
    'invalid_input',
    `${name} is neither a .keras (zip) file nor a model's JSON (it starts with the bytes ${head}); give model.to_json() or a .keras file`,
    'keras_not_model_file',
    { name, head },
  );
}

/** What a file's first bytes say it is. */
function kindOf(head: Buffer): 'zip' | 'hdf5' | 'text' {
  if (head.subarray(0, 4).equals(zipMagic)) return 'zip';
  if (head.subarray(0, 8).equals(hdf5Magic)) return 'hdf5';
  return 'text';
}

/** Reads a Keras model file on disk: JSON text, or a .keras zip's config.json. */
export async function readKerasFile(path: string): Promise<KerasFileText> {
  const name = basename(path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw coded('invalid_input', `cannot read ${path}: ${reason}`, 'keras_cannot_read', { path, reason: reason.slice(0, 500) });
  }
  const handle = await open(path, 'r');
  const head = Buffer.alloc(8);
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  switch (kindOf(head)) {
    case 'zip': {
      const text = await configOf(name, (options, callback) => yauzl.open(path, options, callback));
      if (text === null) throw noConfig(name);
      return { text, kind: 'keras' };
    }
    case 'hdf5':
      throw hdf5(name);
    case 'text':
      if (size > maxConfigBytes) throw tooLargeForJson(name, size);
      return { text: jsonText(name, await readFile(path)), kind: 'json' };
  }
}

/**
 * The same for a file's bytes (what the app sends of a dropped or chosen file): a .keras zip's
 * config.json, or the bytes as JSON text. `name` is the file's name, for the sentences.
 */
export async function readKerasBytes(name: string, bytes: Buffer): Promise<KerasFileText> {
  switch (kindOf(bytes.subarray(0, 8))) {
    case 'zip': {
      const text = await configOf(name, (options, callback) => yauzl.fromBuffer(bytes, options, callback));
      if (text === null) throw noConfig(name);
      return { text, kind: 'keras' };
    }
    case 'hdf5':
      throw hdf5(name);
    case 'text':
      if (bytes.length > maxConfigBytes) throw tooLargeForJson(name, bytes.length);
      return { text: jsonText(name, bytes), kind: 'json' };
  }
}
