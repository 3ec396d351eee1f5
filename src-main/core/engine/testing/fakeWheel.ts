/**
 * Small wheels written with yazl for the install tests: a RECORD that matches (or, on request,
 * does not match) the members, so the refusals of a corrupt or incomplete wheel are tested on
 * files a test can make in milliseconds instead of the 270 MB original.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import yazl from 'yazl';

export interface FakeWheelOptions {
  name: string;
  version: string;
  members: Record<string, string | Buffer>;
  /** Members whose RECORD hash is deliberately wrong. */
  badHashes?: string[];
  /** Extra METADATA lines (Requires-Dist, …). */
  metadataLines?: string[];
}

export async function writeFakeWheel(path: string, options: FakeWheelOptions): Promise<string> {
  const distInfo = `${options.name.replace(/-/g, '_')}-${options.version}.dist-info`;
  const zip = new yazl.ZipFile();
  const record: string[] = [];
  const add = (name: string, content: string | Buffer, listed = true) => {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    zip.addBuffer(bytes, name);
    if (!listed) return;
    const digest = createHash('sha256')
      .update(options.badHashes?.includes(name) ? Buffer.concat([bytes, Buffer.from('x')]) : bytes)
      .digest('base64url');
    record.push(`${name},sha256=${digest},${bytes.length}`);
  };
  for (const [name, content] of Object.entries(options.members)) add(name, content);
  add(
    `${distInfo}/METADATA`,
    [`Metadata-Version: 2.1`, `Name: ${options.name}`, `Version: ${options.version}`, ...(options.metadataLines ?? [])].join('\n'),
  );
  record.push(`${distInfo}/RECORD,,`);
  zip.addBuffer(Buffer.from(record.join('\n')), `${distInfo}/RECORD`);
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await once(out, 'close');
  return path;
}

/** The members a TensorFlow CPU wheel must have on Linux, with junk content. */
export const linuxTensorflowMembers = (): Record<string, string> => ({
  'tensorflow/libtensorflow_cc.so.2': 'not really a library',
  'tensorflow/libtensorflow_framework.so.2': 'not really a library either',
  'tensorflow/include/tensorflow/c/c_api.h': '/* c_api */',
  'tensorflow/include/tensorflow/c/eager/c_api.h': '/* eager c_api */',
  'tensorflow/include/tsl/platform/ctstring.h': '/* ctstring */',
  'tensorflow/include/tensorflow/core/kernels/conv_ops.h': '/* not staged */',
});
