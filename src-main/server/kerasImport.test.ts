/**
 * The app's "from Keras JSON" with a .keras file: the renderer sends the file's bytes (base64) to
 * training.importKeras and the service reads its config.json with the CLI's zip reader. Over the
 * real HTTP server, because a .keras file with its weights is larger than an ordinary call's body.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { methods } from '../core/contract/index.ts';
import { maxKerasFileBytes } from '../core/contract/training.ts';
import { readKerasFile } from '../core/service.ts';
import { servedService } from '../test/servedService.ts';

const fixtures = join(import.meta.dirname, '..', 'core', 'models', 'keras', 'fixtures');

/** A zip of these members, as Keras' model.save writes a .keras file (deflated). */
function zip(members: Record<string, Buffer>): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, data] of Object.entries(members)) file.addBuffer(data, name);
  file.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on('data', (c: Buffer) => chunks.push(c));
    file.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    file.outputStream.on('error', reject);
  });
}

/** Bytes that do not compress, as weights do not: the zip stays as large as they are. */
function noise(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('training.importKeras takes a .keras file’s bytes', () => {
  const served = servedService({ service: { trains: false }, tempPrefix: 'kernellab-keras-import-' });

  async function importFile(
    name: string,
    bytes: Buffer,
  ): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: { message: string } } }> {
    const response = await fetch(`${served.server.url}api/call/training.importKeras`, {
      method: 'POST',
      body: JSON.stringify({ kerasFile: { name, base64: bytes.toString('base64') } }),
      headers: { Authorization: `Bearer ${served.server.token}` },
    });
    return { status: response.status, body: (await response.json()) as never };
  }

  it('imports what Keras saved, as the CLI does, even with megabytes of weights beside the config', async () => {
    const saved = readFileSync(join(fixtures, 'model.keras'));
    const small = await importFile('model.keras', saved);
    expect(small.status).toBe(200);
    const cli = await served.service.call('training.importKeras', { json: (await readKerasFile(join(fixtures, 'model.keras'))).text });
    expect(small.body.result).toEqual(cli);
    expect(cli.source).toBe("Keras 3 Sequential 'saved'");
    expect(cli.hyperparameters).toEqual({ optimizer: 'adam', learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

    // 3 MB of weights: more than the 1 MiB an ordinary call may send.
    const config = Buffer.from((await readKerasFile(join(fixtures, 'model.keras'))).text);
    const heavy = await zip({
      'metadata.json': Buffer.from('{"keras_version": "3.15.1"}'),
      'config.json': config,
      'model.weights.h5': noise(3 << 20),
    });
    expect(heavy.length).toBeGreaterThan(3 << 20);
    const big = await importFile('heavy.keras', heavy);
    expect(big.status).toBe(200);
    expect(big.body.result).toEqual(cli);
  });

  it('a JSON file sent as bytes is read as JSON', async () => {
    const json = readFileSync(join(fixtures, 'logits_rmsprop.keras3.json'));
    const answer = await importFile('logits.json', json);
    expect(answer.status).toBe(200);
    expect(answer.body.result).toEqual(await served.service.call('training.importKeras', { json: json.toString('utf8') }));
  });

  it('refuses in words a file that is no zip and no JSON, a zip without config.json, an HDF5 file and a broken zip', async () => {
    const png = await importFile('picture.keras', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    expect(png.status).toBe(400);
    expect(png.body.error?.message).toBe(
      "picture.keras is neither a .keras (zip) file nor a model's JSON (it starts with the bytes 89 50 4e 47 0d 0a 1a 0a); give model.to_json() or a .keras file",
    );

    const noConfig = await importFile('weights.keras', await zip({ 'model.weights.h5': noise(1000) }));
    expect(noConfig.status).toBe(400);
    expect(noConfig.body.error?.message).toBe(
      "weights.keras is a zip without config.json, so not a .keras model file (model.save('model.keras') writes one)",
    );

    const h5 = await importFile('model.h5', Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), noise(100)]));
    expect(h5.status).toBe(400);
    expect(h5.body.error?.message).toMatch(/^model\.h5 is an HDF5 \(\.h5\) model; KernelLab reads model\.to_json\(\) or a \.keras file/);

    const saved = readFileSync(join(fixtures, 'model.keras'));
    const cut = await importFile('cut.keras', saved.subarray(0, saved.length - 40));
    expect(cut.status).toBe(400);
    expect(cut.body.error?.message).toMatch(/^cut\.keras is not a readable \.keras \(zip\) file: /);

    // A config.json larger than a model config: refused by its declared size, never inflated.
    const huge = await importFile('huge.keras', await zip({ 'config.json': Buffer.alloc((8 << 20) + 1, 0x20) }));
    expect(huge.status).toBe(400);
    expect(huge.body.error?.message).toBe('huge.keras: its config.json is 8388609 bytes, more than a model config holds (8388608 at most)');
  });

  it('takes exactly one of json and kerasFile, and bounds the file, naming the field', () => {
    const input = methods['training.importKeras'].input;
    const both = input.safeParse({ json: '{}', kerasFile: { name: 'a.keras', base64: 'AAAA' } });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]).toMatchObject({ path: ['json'], message: expect.stringMatching(/give json .* or kerasFile/) });
    expect(input.safeParse({}).success).toBe(false);

    const notBase64 = input.safeParse({ kerasFile: { name: 'a.keras', base64: 'not base64!' } });
    expect(notBase64.error?.issues[0]).toMatchObject({ path: ['kerasFile', 'base64'] });
    const tooBig = input.safeParse({ kerasFile: { name: 'a.keras', base64: 'A'.repeat(Math.ceil(maxKerasFileBytes / 3) * 4 + 4) } });
    expect(tooBig.error?.issues[0]).toMatchObject({
      path: ['kerasFile', 'base64'],
      message: 'the file is larger than 48 MB; import it with kernellab import keras FILE, which reads only its config.json',
    });
    expect(input.safeParse({ kerasFile: { name: '', base64: 'AAAA' } }).error?.issues[0]).toMatchObject({ path: ['kerasFile', 'name'] });
  });
});
