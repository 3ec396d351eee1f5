/**
 * What `kernellab agent` logs while it works (issue 17), one method per line: the English
 * sentence, which logs and scripts read as it always was, and its coded form, said through `say`
 * in the agent command's language (AgentOptions.say: cli/errorText.ts storedSentence, English
 * as it is). A server's or the network's error inside a line is said through `sayError` (the
 * CLI's errorText), so its coded text and issues are in the same language.
 */
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { AgentJob, MethodOutput } from '../contract/index.ts';
import type { Unreachable } from './client.ts';

export type Say = (text: CoreText | undefined, english: string) => string;
export type SayError = (error: unknown) => string;

export const sayEnglish: Say = (_text, english) => english;
export const sayErrorEnglish: SayError = (error) => (error instanceof Error ? error.message : String(error));

/** What streaming a run and reporting its end cost (AgentRunResult's fields), for the line that ends a run. */
interface Costs {
  streamRequests: number;
  streamMs: number;
  finishMs: number;
}

export class AgentLog {
  readonly #write: (line: string) => void;
  readonly #say: Say;
  readonly #sayError: SayError;

  constructor(write: (line: string) => void, say: Say = sayEnglish, sayError: SayError = sayErrorEnglish) {
    this.#write = write;
    this.#say = say;
    this.#sayError = sayError;
  }

  /** A coded text in this language (English: `english` as it is). */
  say(text: CoreText | undefined, english: string): string {
    return this.#say(text, english);
  }

  /** An error in this language, cut to what a text's parameter holds. */
  error(error: unknown): string {
    return this.#sayError(error).slice(0, 1000);
  }

  line(text: CoreText, english: string): void {
    this.#write(this.#say(text, english));
  }

  /** A call the server did not answer (`what`: the method, or the file being fetched), tried again in `waitMs`. */
  retrying(what: string, whatText: CoreText | undefined, error: Unreachable, waitMs: number): void {
    const waitSeconds = Math.round(waitMs / 1000);
    const problem = this.say(error.text, error.message).slice(0, 1000);
    this.line(
      coreText('agent_retrying', { what: this.say(whatText, what).slice(0, 1000), problem, waitSeconds }),
      `${what}: ${error.message}; trying again in ${waitSeconds} s`,
    );
  }

  /** The server stopped answering while a run trains: its events wait in the spool. */
  spooling(error: Unreachable, file: string): void {
    const problem = this.say(error.text, error.message).slice(0, 1000);
    this.line(coreText('agent_spooling', { problem, file: file.slice(0, 1000) }), `${error.message}; spooling to ${file} and trying again`);
  }

  serving(hello: MethodOutput<'agent.hello'>, server: string, host: string, backends: string): void {
    const english = `serving sweep ${hello.sweepId} (${hello.sweepName}) from ${server} on ${host}, backends ${backends}`;
    const where = { server, host: host.slice(0, 1000), backends };
    this.line(
      hello.sweepId === null
        ? coreText('agent_serving_gpu_runs', where)
        : coreText('agent_serving', { sweepId: hello.sweepId, name: hello.sweepName.slice(0, 1000), ...where }),
      english,
    );
  }

  /** Why the agent stops taking runs: the server's reason, coded when the server sent a code. */
  noRun(reason: string, reasonCode: CoreText | undefined): void {
    this.line(coreText('agent_no_run', { reason: this.say(reasonCode, reason).slice(0, 1000) }), `no run to take: ${reason}`);
  }

  claimed(job: AgentJob): void {
    const params = { runId: job.runId, name: job.name.slice(0, 1000), attempt: job.lease.attempt };
    this.line(
      coreText(job.resume ? 'agent_run_claimed_resuming' : 'agent_run_claimed', params),
      `run ${job.runId} (${job.name}), attempt ${job.lease.attempt}${job.resume ? ', resuming' : ''}`,
    );
  }

  fetchingDataset(dataset: string, megabytes: number): void {
    this.line(coreText('agent_fetching_dataset', { dataset, megabytes }), `fetching dataset ${dataset} (${megabytes} MB) from the server`);
  }

  serverAsks(mode: 'cancel' | 'interrupt', runId: number): void {
    const cancel = mode === 'cancel';
    this.line(
      coreText(cancel ? 'agent_server_asks_cancel' : 'agent_server_asks_pause', { runId }),
      `the server asks to ${cancel ? 'cancel' : 'pause'} run ${runId}`,
    );
  }

  lost(runId: number, why: string, whyText: CoreText): void {
    this.line(
      coreText('agent_run_lost', { runId, why: this.say(whyText, why).slice(0, 1000) }),
      `run ${runId}: ${why}; its worker is stopped`,
    );
  }

  signalled(runId: number): void {
    this.line(coreText('agent_signal_interrupting', { runId }), `signal: interrupting run ${runId}; it goes back to the queue`);
  }

  endRefused(runId: number, error: unknown): void {
    this.line(
      coreText('agent_end_refused', { runId, problem: this.error(error) }),
      `run ${runId}: the server refused its end: ${(error as Error).message}`,
    );
  }

  endNotReported(runId: number, outcome: string, dir: string): void {
    this.line(
      coreText('agent_end_not_reported', { runId, runStatus: outcome, dir: dir.slice(0, 1000) }),
      `run ${runId}: could not report its end (${outcome}); its events are kept in ${dir}`,
    );
  }

  /** The server's answer to the run's end: the status it recorded (or that it took the run back), and what streaming cost. */
  ended(runId: number, answer: { held: boolean; status: string | null; requeued: boolean }, costs: Costs): void {
    const requests = costs.streamRequests;
    const streamMs = Math.round(costs.streamMs);
    const finishMs = Math.round(costs.finishMs);
    const english =
      `run ${runId}: ${answer.held ? answer.status : 'taken back by the server'}${answer.requeued ? ' (queued again)' : ''}` +
      ` (streamed in ${requests} requests, ${streamMs} ms; end reported in ${finishMs} ms)`;
    const spent = { runId, requests, streamMs, finishMs };
    const runStatus = String(answer.status);
    this.line(
      !answer.held
        ? coreText('agent_run_taken_back', spent)
        : coreText(answer.requeued ? 'agent_run_recorded_requeued' : 'agent_run_recorded', { ...spent, runStatus }),
      english,
    );
  }

  checkpointReplaced(epoch: number, kind: string): void {
    this.line(
      coreText('agent_checkpoint_replaced', { epoch, checkpointKind: kind }),
      `checkpoint of epoch ${epoch} (${kind}) was replaced before it could be kept; the next one goes instead`,
    );
  }

  spoolUnwritable(file: string, error: NodeJS.ErrnoException): void {
    this.line(
      coreText('agent_spool_unwritable', { file: file.slice(0, 1000), reason: (error.code ?? error.message).slice(0, 1000) }),
      `could not write the spool ${file}: ${error.message}`,
    );
  }

  serverBack(seconds: number): void {
    this.line(
      coreText('agent_server_back', { offlineSeconds: seconds }),
      `the server answers again after ${seconds} s; replaying what was spooled`,
    );
  }

  heartbeatRefused(error: unknown): void {
    this.line(coreText('agent_heartbeat_refused', { problem: this.error(error) }), `heartbeat refused: ${(error as Error).message}`);
  }
}
