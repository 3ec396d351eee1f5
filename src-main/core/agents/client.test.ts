import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { AgentClient } from './client.ts';

// What a server answers next: the error body of a refused agent call.
let answer: unknown = null;
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const refusal = async (client: AgentClient) =>
  (await client
    .call('agent.hello', { agent: { id: 'a', host: 'h', version: '', backends: ['cpu'], maxRuns: null } })
    .catch((e: unknown) => e)) as KernelLabError;

describe("the agent keeps its server's coded refusal (issue 17)", () => {
  it('says a refusal in Korean from the code the server sent, and drops a code it does not know', async () => {
    const client = new AgentClient({ server: url, token: 'kla_x' });
    try {
      const message = 'Sweep 3 does not exist any more';
      answer = { ok: false, error: { code: 'not_found', message, messageCode: { code: 'agent_sweep_gone', params: { id: 3 } } } };
      const gone = await refusal(client);
      expect(gone.message).toBe(message);
      expect(coreTextOf(gone.text, gone.message, 'ko')).toBe('스윕 3이(가) 더 이상 없습니다');
      answer = { ok: false, error: { code: 'not_found', message, messageCode: { code: 'made_up_later', params: {} } } };
      const newer = await refusal(client);
      expect(newer.text).toBeUndefined();
      expect(coreTextOf(newer.text, newer.message, 'ko')).toBe(message);
    } finally {
      client.close();
    }
  });

  it('refuses a --server that is not an http(s) URL, in both languages', () => {
    let thrown: unknown;
    try {
      new AgentClient({ server: 'ftp://login1', token: 'kla_x' });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as KernelLabError).message).toBe('--server: ftp: is not http: or https:');
    expect(coreTextOf((thrown as KernelLabError).text, '', 'ko')).toBe('--server: ftp:은(는) http:나 https:가 아닙니다');
  });
});
