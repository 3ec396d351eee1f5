/**
 * A refusal of the agent protocol in a real agent's log, in the user's language (issue 17): a real
 * `kernellab agent` takes a run from a real server on 127.0.0.1, and the server then forgets the
 * agent (its row removed, as a deleted sweep or a wiped database would). The agent's next call is
 * refused with "agent … has not said hello with this token", which its log line says in Korean.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinySweep } from '../core/sweeps/sweepFixture.ts';
import { kernellabStderr } from '../test/agentProcess.ts';
import { startAgentServer, type AgentServer } from '../test/agentServer.ts';
import { openRaw } from '../test/rawSqlite.ts';
import { until } from '../test/servedKernellab.ts';

let agents: AgentServer;

beforeAll(async () => {
  const spec = tinySweep({ axes: { kernelSize: [3, 5] } });
  spec.base.hyperparameters = { ...spec.base.hyperparameters, epochs: 5 };
  agents = await startAgentServer('kernellab-agent-refused-log-', spec);
}, 120_000);

afterAll(() => agents.close());

/** One agent that takes one run; once it holds it, the server forgets the agent. */
async function forgottenAgent(lang: string, node: string): Promise<string> {
  const done = kernellabStderr([...agents.agentArgs(node), '--count', '1'], lang);
  const db = openRaw(join(agents.home, 'kernellab.db'));
  try {
    const agent = await until(
      'the agent to hold a run',
      () => db.prepare('SELECT agent_id FROM agent_executions WHERE outcome IS NULL LIMIT 1').pluck().get() as string | undefined,
      120_000,
    );
    db.transaction(() => {
      db.prepare('DELETE FROM agent_executions WHERE agent_id = ?').run(agent);
      db.prepare('DELETE FROM agents WHERE id = ?').run(agent);
    })();
  } finally {
    db.close();
  }
  const { err } = await done;
  return err;
}

describe('kernellab agent refused by the server', () => {
  it('says the refusal inside its log line in Korean, and in English as it always did', { timeout: 300_000 }, async () => {
    const ko = await forgottenAgent('ko', 'ko-node');
    expect(ko).toMatch(/^agent [0-9a-f]{8}: .*에이전트 [0-9a-f-]{36}은\(는\) 이 토큰으로 인사하지 않았습니다\(먼저 agent\.hello\)/m);
    expect(ko).not.toContain('has not said hello');
    const en = await forgottenAgent('en', 'en-node');
    expect(en).toMatch(/^agent [0-9a-f]{8}: .*agent [0-9a-f-]{36} has not said hello with this token \(agent\.hello first\)/m);
  });
});
