import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { toErrorBody } from '../errors.ts';
import { readCheckpointState } from './checkpointIO.ts';
import { checkpointStateJson, type CheckpointState } from './checkpointState.ts';

let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDir('kernellab-state-');
});
afterEach(() => temp.cleanup());

function writeState(content: unknown): string {
  const dir = join(temp.dir, 'last');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

const state: CheckpointState = {
  epochsCompleted: 2,
  globalStep: 20,
  history: [
    { epoch: 1, logs: { loss: 2.1, accuracy: 0.3, val_loss: null, val_accuracy: 0.31, epoch_seconds: 1.5, rss_bytes: 1e8 } },
    { epoch: 2, logs: { loss: 1.4, accuracy: 0.5, val_loss: null, val_accuracy: 0.52, epoch_seconds: 1.4, rss_bytes: 1e8 } },
  ],
  best: 0.52,
  bestEpoch: 2,
  wait: 0,
};

describe('checkpoint state (state.json)', () => {
  it('reads back what was written, every logged metric of every epoch', () => {
    expect(readCheckpointState(writeState(checkpointStateJson(state)))).toEqual(state);
  });

  it('reads a checkpoint written before epochs logged every metric (four metrics, flat)', () => {
    const older = {
      epochsCompleted: 1,
      globalStep: 10,
      history: [{ epoch: 1, loss: 2, accuracy: 0.25, val_loss: 2.2, val_accuracy: null }],
      best: 2.2,
      bestEpoch: 1,
      wait: 0,
    };
    expect(readCheckpointState(writeState(older)).history).toEqual([
      { epoch: 1, logs: { loss: 2, accuracy: 0.25, val_loss: 2.2, val_accuracy: null } },
    ]);
  });

  it('refuses a state that is not one, naming the file and the field', () => {
    const dir = writeState({ epochsCompleted: 1, history: [], best: null, bestEpoch: null, wait: 0 });
    expect(() => readCheckpointState(dir)).toThrow(
      `checkpoint file ${join(dir, 'state.json')} is not a KernelLab checkpoint state: globalStep: `,
    );
    const text = writeState('{"epochsCompleted": ');
    expect(() => readCheckpointState(text)).toThrow(/state\.json cannot be read: /);
    const metric = writeState({ ...(checkpointStateJson(state) as object), history: [{ epoch: 1, loss: 'low' }] });
    expect(() => readCheckpointState(metric)).toThrow(/history\.0\.loss: /);
  });

  it('says there is nothing to resume from when the checkpoint has no state', () => {
    expect(() => readCheckpointState(join(temp.dir, 'none'))).toThrow(`no checkpoint to resume from in ${join(temp.dir, 'none')}`);
  });
});

describe('a missing checkpoint in the user language', () => {
  it('says there is nothing to resume from, with its code for a Korean page', () => {
    let refused: unknown;
    try {
      readCheckpointState(temp.dir);
    } catch (error) {
      refused = error;
    }
    const body = toErrorBody(refused);
    expect(body).toMatchObject({ code: 'not_found', message: `no checkpoint to resume from in ${temp.dir}` });
    expect(coreTextOf(body.messageCode, body.message, 'ko')).toBe(`${temp.dir}에 이어서 학습할 체크포인트가 없습니다`);
  });

  it("says once that a state.json cannot be read, in both languages, with Node's reason quoted", () => {
    // A folder where the file should be: it exists, but reading it fails (EISDIR), even for root.
    const dir = join(temp.dir, 'last');
    mkdirSync(join(dir, 'state.json'), { recursive: true });
    let refused: unknown;
    try {
      readCheckpointState(dir);
    } catch (error) {
      refused = error;
    }
    const body = toErrorBody(refused);
    const file = join(dir, 'state.json');
    const node = 'EISDIR: illegal operation on a directory, read';
    expect(body.message).toBe(`checkpoint file ${file} cannot be read: ${node}`);
    expect(coreTextOf(body.messageCode, body.message, 'en')).toBe(body.message);
    expect(coreTextOf(body.messageCode, body.message, 'ko')).toBe(`체크포인트 파일 ${file}을(를) 읽을 수 없습니다: ${node}`);
  });

  it("says a state.json that is not JSON by where JSON.parse stopped, without V8's English, the English sentence as before", () => {
    const cases: [string, string][] = [
      ['{"epochsCompleted": ', '텍스트가 일찍 끝납니다'],
      ['{"epochsCompleted": 1,}', '(문자 22)'],
      ['{"epochsCompleted": yes}', "예상하지 못한 'y'"],
    ];
    for (const [content, where] of cases) {
      const dir = writeState(content);
      let refused: unknown;
      try {
        readCheckpointState(dir);
      } catch (error) {
        refused = error;
      }
      const body = toErrorBody(refused);
      const file = join(dir, 'state.json');
      expect(body.message).toMatch(
        new RegExp(`^checkpoint file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read: (Unexpected|Expected)`),
      );
      const korean = coreTextOf(body.messageCode, body.message, 'ko');
      expect(korean.startsWith(`체크포인트 파일 ${file}을(를) 읽을 수 없습니다: JSON이 아닙니다`)).toBe(true);
      expect(korean.endsWith(where)).toBe(true);
      // No English after the path but the format's name and the file's own character, quoted.
      const after = korean.slice(korean.indexOf(file) + file.length);
      expect(after.replaceAll('JSON', '').replace(/'.{1,2}'$/u, '')).not.toMatch(/[A-Za-z]/);
    }
  });
});
