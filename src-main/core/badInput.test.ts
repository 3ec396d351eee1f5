/**
 * Bad-input suite (property-based): generated malformed model specs, sweep specs and dataset
 * files, each sent through the service as a shell would. Every one must get an invalid_input
 * error that names the field or file, and nothing may be written.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMirror } from './datasets/mirror.ts';
import { KernelLabError } from './errors.ts';
import { presets } from './models/presets.ts';
import { createService, type Service } from './service.ts';
import { makeTempDir } from '../test/tempDir.ts';

async function refusal(service: Service, method: string, input: unknown): Promise<KernelLabError> {
  try {
    await service.call(method as never, input);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error(`${method} accepted ${JSON.stringify(input).slice(0, 300)}`);
}

const lenet = presets.find((p) => p.id === 'lenet5-relu')!.spec;
const badNumbers = fc.constantFrom<unknown>(0, -1, 2.5, 'three', null, true, [], {}, Number.MAX_SAFE_INTEGER + 2);

describe('bad-input suite: model, sweep and dataset inputs', () => {
  const temp = makeTempDir();
  let service: Service;
  beforeAll(() => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
  });
  afterAll(async () => {
    await service.close();
    temp.cleanup();
  });

  it('refuses malformed model specs naming the layer and field', async () => {
    const convIndexes = lenet.layers.flatMap((l, i) => (l.type === 'conv2d' ? [i] : []));
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('field'),
        index: fc.constantFrom(...convIndexes),
        field: fc.constantFrom('kernelSize', 'filters', 'strides'),
        value: badNumbers,
      }),
      fc.record({ kind: fc.constant('type'), index: fc.nat(lenet.layers.length - 1), value: fc.string({ maxLength: 12 }) }),
      fc.record({
        kind: fc.constant('enum'),
        index: fc.constantFrom(...convIndexes),
        field: fc.constantFrom('padding', 'activation'),
        value: fc.string({ maxLength: 8 }),
      }),
      fc.record({ kind: fc.constant('input'), value: fc.oneof(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 5 }), fc.string()) }),
      fc.record({ kind: fc.constant('huge'), index: fc.constantFrom(...convIndexes), value: fc.integer({ min: 29, max: 10_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const spec = structuredClone(lenet) as unknown as { inputShape: unknown; layers: Record<string, unknown>[] };
        let expected: RegExp;
        if (m.kind === 'input') {
          fc.pre(!(Array.isArray(m.value) && m.value.length === 3 && m.value.every((v) => v > 0)));
          spec.inputShape = m.value;
          expected = /inputShape/;
        } else if (m.kind === 'type') {
          fc.pre(!['conv2d', 'maxPool2d', 'avgPool2d', 'batchNorm', 'dropout', 'lrn', 'flatten', 'dense'].includes(m.value));
          spec.layers[m.index]!.type = m.value;
          expected = new RegExp(`layers[.[]${m.index}`);
        } else if (m.kind === 'enum') {
          fc.pre(!['same', 'valid', 'relu', 'swish', 'sigmoid', 'tanh', 'elu', 'linear'].includes(m.value));
          spec.layers[m.index]![m.field] = m.value;
          expected = new RegExp(`layers[.[]${m.index}`);
        } else {
          // 'huge' kernels are well-typed but impossible: refused with the layer and the formula.
          spec.layers[m.index]![m.kind === 'huge' ? 'kernelSize' : m.field] = m.value;
          expected = new RegExp(`layers[.[]${m.index}`);
        }
        const error = await refusal(service, 'training.summary', { spec });
        expect(error.code).toBe('invalid_input');
        expect(error.message).toMatch(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses malformed sweep specs naming the field, and queues nothing', async () => {
    const base = { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 100, test: 100 } };
    const badAxis = fc.oneof(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^[a-zA-Z.[\]0-9]+$/.test(s) || s.startsWith('zz')),
        values: fc.constant([1]),
      }),
      fc.record({ name: fc.constantFrom('kernelSize', 'epochs', 'learningRate', 'batchSize'), values: fc.constant([]) }),
      fc.record({
        name: fc.constantFrom('kernelSize', 'epochs', 'batchSize'),
        values: fc.array(fc.constantFrom<unknown>('x', null, -3, 0, 1.5, {}), { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        name: fc.constantFrom('learningRate', 'epochs'),
        values: fc.record({
          min: fc.integer({ min: 5, max: 9 }),
          max: fc.integer({ min: 1, max: 4 }),
          steps: fc.integer({ min: 2, max: 5 }),
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(badAxis, fc.constantFrom('sweeps.preview', 'sweeps.start'), async (axis, method) => {
        const error = await refusal(service, method, { spec: { base, axes: { [axis.name]: axis.values } } });
        expect(error.code).toBe('invalid_input');
        expect(error.message).toContain(`axes.${axis.name}`);
      }),
      { numRuns: 60 },
    );
    const runs = await service.call('runs.list', {});
    expect(runs.total).toBe(0);
    expect(await service.call('sweeps.list', {})).toHaveLength(0);
  });

  it('says what a union input takes instead of a bare "Invalid input"', async () => {
    const base = { preset: 'lenet5-relu', dataset: 'mnist' };
    const cases: [string, unknown, string][] = [
      ['sweeps.preview', { spec: { base, axes: { epochs: ['x', null] } } }, 'spec.axes.epochs: expected a list of values'],
      [
        'runs.export',
        { selection: {} },
        'selection: expected exactly one of runIds (a non-empty list of run ids), sweepId or experimentId',
      ],
      ['sweeps.reprioritize', { runId: 1 }, '(root): expected { runId, priority } or { sweepId, priority }'],
    ];
    for (const [method, input, expected] of cases) {
      const error = await refusal(service, method, input);
      expect(error.code, method).toBe('invalid_input');
      expect(error.message, method).toContain(expected);
      expect(error.message, method).not.toMatch(/: Invalid input$/);
    }
  });

  it('refuses malformed dataset files naming the file, and marks nothing ready', async () => {
    const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const header = fc.record({
      magic: fc.constantFrom(2049, 2051, 0, 2050, 0x1f8b0800, 0xffffffff),
      count: fc.integer({ min: 0, max: 70_000 }),
      extra: fc.uint8Array({ maxLength: 64 }),
    });
    let caseNo = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), header, async (name, h) => {
        const dir = join(temp.dir, `bad-${caseNo++}`);
        mkdirSync(dir);
        const bytes = Buffer.alloc(8 + h.extra.length);
        bytes.writeUInt32BE(h.magic >>> 0, 0);
        bytes.writeUInt32BE(h.count, 4);
        Buffer.from(h.extra).copy(bytes, 8);
        writeFileSync(join(dir, name), bytes);
        const error = await refusal(service, 'datasets.import', { name: 'mnist', paths: [join(dir, name)] });
        expect(['invalid_input', 'not_found', 'conflict']).toContain(error.code);
        expect(error.message).toContain(name);
      }),
      { numRuns: 24 },
    );
    const list = await service.call('datasets.list', {});
    expect(list.datasets.find((d) => d.name === 'mnist')?.status).not.toBe('ready');
    // Nothing half-imported stays in the data folder.
    const files = readdirSync(join(temp.dir, 'home', 'datasets'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((f) => join(f.parentPath, f.name))).toEqual([]);
  });

  it('refuses or skips what is not a regular file, under any name, and never hangs, quotes it or leaves a folder', async () => {
    // Things a path can be besides a dataset file: devices, a FIFO, links to them, to a folder,
    // to nothing, to a file of someone else's; each under a dataset's own file name or another.
    const fifo = join(temp.dir, 'a-fifo');
    const made = spawnSync('mkfifo', [fifo]);
    const kinds = [
      '/dev/zero',
      '/dev/null',
      '/dev/urandom',
      made.status === 0 ? fifo : '/dev/zero',
      '/',
      '/proc/self/status',
      'missing',
      'secret',
    ];
    const names = fc.constantFrom(
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte.gz',
      'data_batch_1.bin',
      'cifar-10-binary.tar.gz',
      'x',
      'a b',
      '..x',
    );
    const secret = join(temp.dir, 'secret.txt');
    writeFileSync(secret, 'SECRET-LINE '.repeat(100));
    let caseNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), name: names, linked: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom(undefined, 'mnist', 'fashion-mnist', 'cifar10'),
        async (entries, asFolder, dataset) => {
          const dir = join(temp.dir, `special-${caseNo++}`);
          mkdirSync(dir);
          const paths = entries.map((e, i) => {
            const target = e.kind === 'secret' ? secret : e.kind === 'missing' ? join(dir, 'nothing-here') : e.kind;
            if (!e.linked && !asFolder) return target;
            const link = join(dir, `${i}-${e.name}`);
            symlinkSync(target, link);
            return link;
          });
          const error = await refusal(service, 'datasets.import', {
            paths: asFolder ? [dir] : paths,
            ...(dataset ? { name: dataset } : {}),
          });
          expect(['invalid_input', 'conflict']).toContain(error.code);
          expect(error.message).not.toContain('SECRET');
          expect(error.message).not.toContain(String(Buffer.from('SECR').readUInt32BE(0)));
        },
      ),
      { numRuns: 30 },
    );
    expect(readdirSync(join(temp.dir, 'home', 'datasets'))).toEqual([]);
  });
});

describe('bad-input suite: dataset mirrors come from configuration, checked', () => {
  it('accepts a folder, https, or http on this machine, and refuses every other URL', () => {
    const url = fc.webUrl({ validSchemes: ['http', 'https', 'ftp', 'file', 'gopher', 'ws'], withQueryParameters: true });
    const loopback = fc.constantFrom('http://127.0.0.1:9/', 'http://[::1]/', 'http://localhost/m', 'http://127.1.2.3/');
    fc.assert(
      fc.property(fc.oneof(url, loopback), (mirror) => {
        const { protocol, hostname } = new URL(mirror);
        const loop = hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
        const thisMachine = protocol === 'file:' && (hostname === '' || hostname === 'localhost');
        const allowed = protocol === 'https:' || thisMachine || (protocol === 'http:' && loop);
        if (allowed) expect(parseMirror(mirror, '--mirror').kind).toBe(protocol === 'file:' ? 'folder' : 'url');
        else expect(() => parseMirror(mirror, '--mirror')).toThrow(/^--mirror: /);
      }),
      { numRuns: 500 },
    );
  });
});
