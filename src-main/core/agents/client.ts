/**
 * An agent's connection to the server: the contract's agent methods over HTTP(S) JSON with the
 * agent token as a bearer, one keep-alive connection pool, every answer parsed with its output
 * schema. A server that cannot be reached (refused, reset, timed out, 502–504, restarting) is an
 * `Unreachable` error, which the agent answers by spooling and trying again; an answer with an
 * error body is the server's word and is thrown as a KernelLabError.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { methods, type AgentMethodName as AgentMethod, type MethodInput, type MethodOutput } from '../contract/index.ts';
import type { ErrorBody } from '../contract/bridge.ts';
import { CoreText, coreText, IssueText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';

/** The server cannot be reached, with its coded text: an agent that runs out of patience says why in its language. */
export class Unreachable extends KernelLabError {
  constructor(message: string, text: CoreText) {
    super('unavailable', message, undefined, { text });
    this.name = 'Unreachable';
  }
}

export interface AgentClientOptions {
  server: string;
  token: string;
  /** A CA certificate (PEM) to trust besides the system's, for a server with its own certificate. */
  caFile?: string | undefined;
  /** How long one request may take (ms). */
  timeoutMs?: number;
}

export class AgentClient {
  readonly #base: URL;
  readonly #token: string;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #timeoutMs: number;

  constructor(options: AgentClientOptions) {
    let base: URL;
    try {
      base = new URL(options.server);
    } catch {
      throw new KernelLabError('invalid_input', `--server: '${options.server}' is not a URL`, undefined, {
        text: coreText('agent_server_not_url', { server: options.server.slice(0, 1000) }),
      });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new KernelLabError('invalid_input', `--server: ${base.protocol} is not http: or https:`, undefined, {
        text: coreText('agent_server_protocol', { protocol: base.protocol.slice(0, 1000) }),
      });
    this.#base = base;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    const ca = options.caFile ? readFileSync(options.caFile) : undefined;
    this.#agent =
      base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 4, ...(ca && { ca }) })
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.#request = base.protocol === 'https:' ? https.request : http.request;
  }

  get server(): string {
    return this.#base.origin;
  }

  async call<M extends AgentMethod>(name: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const body = Buffer.from(JSON.stringify(input));
    const url = new URL(`/api/call/${name}`, this.#base);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.#request(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            'Content-Type': 'application/json',
            'Content-Length': body.length,
          },
          timeout: this.#timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) =>
            reject(
              new Unreachable(
                `${name}: the answer broke off (${error.message})`,
                coreText('agent_answer_broke_off', { method: name, reason: error.message.slice(0, 1000) }),
              ),
            ),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(this.#timeoutMs / 1000)} s`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A certificate the agent does not trust will not fix itself by waiting: say so at once.
        if (error.code?.startsWith('ERR_TLS') || /certificate|self[- ]signed/i.test(error.message))
          reject(
            new KernelLabError('unavailable', `${this.server}: ${error.message} (pass the server's certificate with --ca)`, undefined, {
              text: coreText('agent_server_certificate', { server: this.server, reason: error.message.slice(0, 1000) }),
            }),
          );
        else {
          const reason = error.code ?? error.message;
          const text = coreText('agent_server_unreachable', { server: this.server, reason: reason.slice(0, 1000) });
          reject(new Unreachable(`${this.server} cannot be reached (${reason})`, text));
        }
      });
      req.end(body);
    });
    if (status === 502 || status === 503 || status === 504)
      throw new Unreachable(`${this.server} answered ${status}`, coreText('agent_server_answered', { server: this.server, status }));
    let parsed: { ok: true; result: unknown } | { ok: false; error: ErrorBody };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Unreachable(
        `${this.server} answered ${status} with something that is not KernelLab's JSON`,
        coreText('agent_server_not_json', { server: this.server, status }),
      );
    }
    if (!parsed.ok) {
      // The server's coded text comes along when it fits this agent's catalogue (a newer server's code does not).
      const text = CoreText.safeParse(parsed.error.messageCode);
      const issueTexts = IssueText.array().max(1000).safeParse(parsed.error.issueCodes);
      throw new KernelLabError(parsed.error.code, parsed.error.message, parsed.error.issues, {
        ...(text.success && { text: text.data }),
        ...(issueTexts.success && { issueTexts: issueTexts.data }),
      });
    }
    const output = methods[name].output.safeParse(parsed.result);
    if (!output.success)
      throw new KernelLabError(
        'internal',
        `${name}: the server's answer does not fit this agent's contract (versions differ?)`,
        undefined,
        {
          text: coreText('agent_answer_not_contract', { method: name }),
        },
      );
    return output.data as MethodOutput<M>;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Calls until the server answers (or `deadline` passes), waiting 1, 2, 4 … up to 30 s between
 * tries; `onWait` hears each failure. Errors the server itself returns are not retried.
 */
export async function untilAnswered<T>(
  attempt: () => Promise<T>,
  options: { deadline: number; onWait?: (error: Unreachable, waitMs: number) => void; signal?: AbortSignal },
): Promise<T> {
  let wait = 1000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      if (Date.now() + wait > options.deadline || options.signal?.aborted) throw error;
      options.onWait?.(error, wait);
      await sleep(wait, options.signal);
      wait = Math.min(30_000, wait * 2);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
