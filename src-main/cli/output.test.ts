import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../core/db/RunStore.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';
import stringWidth from 'string-width';
import { padEndDisplay, terminalJson, terminalText, textTable } from './format.ts';

// What a hostile run name does to a terminal: OSC 0 retitles the window, SGR recolours the rest,
// CR rewinds the line so the text after it overwrites what came before, C1 CSI (U+009B) is ESC [
// on some terminals, and RLO reverses what follows.
const hostile = 'ok\u001b]0;pwned\u0007\u001b[31mred\rFAKE\u009b2J\u202egnp.exe\u0000';
// Bytes no line printed for a person may carry: C0 except tab/newline, DEL, C1, bidi overrides.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminalText and terminalJson', () => {
  it('leave no control character, keep tabs and newlines, and change nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const shown = terminalText(text);
        expect(shown).not.toMatch(unsafe);
        expect(shown.length).toBe(text.length);
        for (let i = 0; i < text.length; i++) if (!unsafe.test(text[i]!)) expect(shown[i]).toBe(text[i]);
      }),
      { numRuns: 500 },
    );
    expect(terminalText('a\u001b[31mb\rc\td\n')).toBe('a\u241b[31mb\u240dc\td\n');
  });

  it('print JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 30 }), (value, name) => {
        const text = terminalJson({ value, name });
        expect(text).not.toMatch(unsafe);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify({ value, name })));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the CLI prints run names from outside without acting on the terminal', () => {
  const temp = makeTempDir('kernellab-cli-output-');
  const home = join(temp.dir, 'home');
  let id = 0;
  beforeAll(() => {
    // The database as a run imported from someone else's export would leave it.
    mkdirSync(home);
    const store = RunStore.open(join(home, 'kernellab.db'));
    const run = store.createRun({
      name: hostile,
      modelSpec: { layers: [] },
      dataset: 'mnist',
      backend: 'cpu',
      seed: 1,
      status: 'running',
      hyperparameters: { kernelSize: 3, optimizer: { name: `adam${hostile}`, learningRate: 0.001 } },
    });
    store.transition(run.id, 'failed', { error: `worker said ${hostile}` });
    store.setTags(run.id, [hostile]);
    id = run.id;
    store.close();
  });
  afterAll(() => temp.cleanup());

  const kernellab = (...args: string[]) => {
    const result = spawnSync(process.execPath, [cliPath, '--home', home, ...args], { encoding: 'utf8' });
    return { code: result.status, out: result.stdout, err: result.stderr };
  };

  it('runs ls, show and compare', () => {
    for (const args of [
      ['runs', 'ls'],
      ['runs', 'show', String(id)],
      ['runs', 'compare', String(id), String(id)],
    ]) {
      const { code, out } = kernellab(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(out, args.join(' ')).toContain('ok\u241b]0;pwned\u2407\u241b[31mred\u240dFAKE');
      expect(out, args.join(' ')).not.toMatch(unsafe);
    }
  });

  it('--json: the same name, escaped', () => {
    const { out } = kernellab('runs', 'show', String(id), '--json');
    expect(out).not.toMatch(unsafe);
    const run = JSON.parse(out) as { name: string; error: string };
    expect(run.name).toBe(hostile);
    expect(run.error).toBe(`worker said ${hostile}`);
  });

  it('errors that quote the input', () => {
    const name = hostile.replace('\u0000', '');
    for (const args of [
      ['runs', 'show', name],
      ['call', name],
    ]) {
      const { code, err } = kernellab(...args);
      expect(code, args[0]).not.toBe(0);
      expect(err, args[0]).toContain('ok\u241b]0;pwned');
      expect(err, args[0]).not.toMatch(unsafe);
    }
  });

  it('an export to a pipe is the file byte for byte; to a terminal it is made safe', () => {
    const piped = kernellab('runs', 'export', String(id), '--format', 'csv');
    expect(piped.out).toContain(hostile.replace(/"/g, '""'));
    if (!existsSync('/usr/bin/script')) {
      console.warn('SKIPPED (terminal half): util-linux `script`, which gives the CLI a terminal, is not installed');
      return;
    }
    // `script` runs the command on a pseudo-terminal, as a user at a shell would.
    const command = [process.execPath, cliPath, '--home', home, 'runs', 'export', String(id), '--format', 'csv']
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const tty = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain('ok\u241b]0;pwned');
    // The pty turns \n into \r\n; apart from those, nothing unsafe reaches the terminal.
    expect(tty.stdout.replace(/\r\n/g, '\n')).not.toMatch(unsafe);
  });
});

describe('textTable', () => {
  it('lines up columns after Korean cells by terminal cells (a Hangul syllable takes two)', () => {
    const lines = textTable(
      ['id', '상태', '이름', '초'],
      [
        ['1', 'completed', '커널 3', '12.5'],
        ['22', '실행 중', 'lenet5 kernel 5', '3.0'],
      ],
    ).split('\n');
    // Where each column starts, in cells: the same on every line.
    const starts = (line: string, cells: string[]) => cells.map((c) => stringWidth(line.slice(0, line.indexOf(c))));
    expect(starts(lines[0]!, ['상태', '이름', '초'])).toEqual([4, 15, 32]);
    expect(starts(lines[1]!, ['completed', '커널 3', '12.5'])).toEqual([4, 15, 32]);
    expect(starts(lines[2]!, ['실행 중', 'lenet5 kernel 5', '3.0'])).toEqual([4, 15, 32]);
    // padEnd would count '상태' as 2 wide and push the next column 2 cells left of the others.
    expect(stringWidth('상태'.padEnd(9))).toBe(11);
    expect(stringWidth(padEndDisplay('상태', 9))).toBe(9);
  });
});
