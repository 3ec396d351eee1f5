/**
 * A server the agent cannot reach, in the user's language (issue 17): `kernellab agent` started in
 * a real Node process and pointed at a closed port on 127.0.0.1 says each wait and, once its
 * patience is spent, why it gives up.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernellabStderr } from '../test/agentProcess.ts';
import { makeTempDir } from '../test/tempDir.ts';

const temp = makeTempDir('kernellab-agent-unreachable-');
afterAll(() => temp.cleanup());

let server = '';
beforeAll(async () => {
  // A port that was just free: nothing listens on it once the listener is closed.
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  server = `http://127.0.0.1:${port}`;
});

function agent(lang: string): Promise<{ code: number | null; err: string }> {
  const dir = join(temp.dir, lang);
  const tokenFile = join(temp.dir, 'token');
  writeFileSync(tokenFile, `kla_${'a'.repeat(43)}\n`);
  const args = [
    '--home',
    join(dir, 'home'),
    'agent',
    '--server',
    server,
    '--token-file',
    tokenFile,
    '--patience',
    '2',
    '--spool',
    join(dir, 'spool'),
    '--cache',
    join(dir, 'cache'),
  ];
  return kernellabStderr(args, lang);
}

describe('kernellab agent and a server it cannot reach', () => {
  it('says it waits and why it gives up in Korean, and in English as the core words it', { timeout: 120_000 }, async () => {
    const at = server.replaceAll('.', '\\.');
    const ko = await agent('ko');
    expect(ko.code, ko.err).toBe(1);
    expect(ko.err).toMatch(
      new RegExp(`^agent [0-9a-f]{8}: hello: ${at}에 연결할 수 없습니다 \\(ECONNREFUSED\\); 1초 후 다시 시도합니다$`, 'm'),
    );
    expect(ko.err).toMatch(new RegExp(`^kernellab: ${at}에 연결할 수 없습니다 \\(ECONNREFUSED\\)$`, 'm'));
    expect(ko.err).not.toMatch(/cannot be reached|trying again/);
    const en = await agent('en');
    expect(en.code, en.err).toBe(1);
    expect(en.err).toMatch(new RegExp(`^agent [0-9a-f]{8}: hello: ${at} cannot be reached \\(ECONNREFUSED\\); trying again in 1 s$`, 'm'));
    expect(en.err).toMatch(new RegExp(`^kernellab: ${at} cannot be reached \\(ECONNREFUSED\\)$`, 'm'));
  });
});
