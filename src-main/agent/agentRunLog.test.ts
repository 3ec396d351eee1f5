/**
 * What `kernellab agent` says while it works, in the user's language (issue 17): a real agent
 * process pulls a tiny sweep's runs from a real server on 127.0.0.1 and trains them. In Korean
 * every line (whom it serves, the run it took, the dataset it fetched, how the run ended, why it
 * stops and its last line) comes from the catalogue; in English each is as it always was.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinySweep } from '../core/sweeps/sweepFixture.ts';
import { kernellabStderr } from '../test/agentProcess.ts';
import { startAgentServer, type AgentServer } from '../test/agentServer.ts';

let agents: AgentServer;

beforeAll(async () => {
  agents = await startAgentServer('kernellab-agent-run-log-', tinySweep({ axes: { kernelSize: [3, 5] } }));
}, 120_000);

afterAll(() => agents.close());

/** One agent on its own node (its own cache, so it fetches the dataset), in `lang`. */
function agent(lang: string, node: string, ...extra: string[]): Promise<{ code: number | null; err: string }> {
  return kernellabStderr([...agents.agentArgs(node), ...extra], lang);
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('kernellab agent while it trains a sweep', () => {
  it('says each line in Korean, and in English as it always did', { timeout: 300_000 }, async () => {
    const at = escaped(new URL(agents.server.url).origin);
    const host = escaped(hostname());
    const ko = await agent('ko', 'ko-node', '--count', '1');
    expect(ko.code, ko.err).toBe(0);
    const line = (text: string) => new RegExp(`^agent [0-9a-f]{8}: ${text}$`, 'm');
    expect(ko.err).toMatch(line(`스윕 \\d+\\(.+\\)을\\(를\\) 맡습니다: 서버 ${at}, 호스트 ${host}, 백엔드 .+`));
    expect(ko.err).toMatch(line('실행 \\d+\\(.+\\), 시도 1'));
    expect(ko.err).toMatch(line('서버에서 데이터셋 mnist\\(\\d+ MB\\)을\\(를\\) 받는 중'));
    expect(ko.err).toMatch(line('실행 \\d+: 완료 \\(요청 [\\d,]+번으로 [\\d,]+ ms 동안 전송, 종료 보고 [\\d,]+ ms\\)'));
    expect(ko.err).toMatch(/^kernellab agent: 실행 1개를 가져갔습니다\(--count\); 실행 1개 \(\d+: 완료\)$/m);
    expect(ko.err).not.toMatch(/serving|attempt|fetching|streamed|took|completed|run \d/);

    const en = await agent('en', 'en-node', '--count', '1');
    expect(en.code, en.err).toBe(0);
    expect(en.err).toMatch(line(`serving sweep \\d+ \\(.+\\) from ${at} on ${host}, backends .+`));
    expect(en.err).toMatch(line('run \\d+ \\(.+\\), attempt 1'));
    expect(en.err).toMatch(line('fetching dataset mnist \\(\\d+ MB\\) from the server'));
    expect(en.err).toMatch(line('run \\d+: completed \\(streamed in \\d+ requests, \\d+ ms; end reported in \\d+ ms\\)'));
    expect(en.err).toMatch(/^kernellab agent: took 1 runs \(--count\); 1 run \(\d+: completed\)$/m);

    // Both runs are done: the server's reason for giving no run, then the last line, in Korean.
    const none = await agent('ko', 'ko-node');
    expect(none.code, none.err).toBe(0);
    expect(none.err).toMatch(line('가져갈 실행이 없습니다: 스윕이 완료되었습니다'));
    expect(none.err).toMatch(/^kernellab agent: 스윕이 완료되었습니다; 실행 0개 \(없음\)$/m);
    expect(none.err).not.toMatch(/no run|the sweep/);
  });
});
