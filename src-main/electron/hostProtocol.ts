/**
 * Messages between Electron's main process and the service host, the utility process that runs
 * the service (SQLite, imports, hashing, the scheduler) so main's thread stays free for windows.
 * Each side parses what it receives with these schemas and throws on an unknown type.
 *
 * Training workers are forked by main on the host's behalf: only main may start utility
 * processes, and a packaged app cannot fork plain Node (the runAsNode fuse is off). Main relays
 * each worker's messages to the host and the host's to the worker; what they say stays opaque
 * here (core's workerProtocol.ts parses it at both ends).
 */
import { z } from 'zod';
import { CoreText, IssueText, type ErrorBody as ContractErrorBody } from '../core/contract/index.ts';

const Id = z.number().int().nonnegative();

const ErrorBody = z.object({
  code: z.enum(['invalid_input', 'not_found', 'conflict', 'unauthorized', 'too_large', 'unavailable', 'internal']),
  message: z.string(),
  issues: z.array(z.string()).optional(),
  confirm: z.string().optional(),
  messageCode: CoreText.optional(),
  confirmCode: CoreText.optional(),
  issueCodes: z.array(IssueText).optional(),
});
// The codes are the contract's, both ways: a code added there fails the type check here. The keys
// too: an optional field the contract gains and this schema lacks would be stripped on the way.
type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;
const errorBodyIsTheContracts: Same<z.infer<typeof ErrorBody>, ContractErrorBody> = true;
void errorBodyIsTheContracts;

export const HostStartOptions = z.object({
  /** The data folder given with --home=<dir>; without it the host resolves the default (KERNELLAB_HOME, the per-user folder). */
  home: z.string().min(1).optional(),
  /** The folder holding package.json and migrations/ (app.getAppPath()). */
  appRoot: z.string().min(1),
  /** The built training worker's entry. */
  workerEntry: z.string().min(1),
});
export type HostStartOptions = z.infer<typeof HostStartOptions>;

export const ToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), options: HostStartOptions }),
  /** One API call; `input` is what the renderer sent (already checked for its sender and path tokens). */
  z.object({
    type: z.literal('call'),
    id: Id,
    method: z.string(),
    input: z.unknown(),
    /** The desktop GPU host's agent token, added by main to the agent.* calls of its hidden window (gpuHostWindow.ts). */
    agentToken: z.string().max(200).optional(),
  }),
  /** Stop the service (interrupting running runs, closing the database), answer `closed`, exit. */
  z.object({ type: z.literal('close') }),
  z.object({ type: z.literal('worker.started'), worker: Id, pid: z.number().int().optional() }),
  z.object({ type: z.literal('worker.message'), worker: Id, message: z.unknown() }),
  z.object({ type: z.literal('worker.exit'), worker: Id, code: z.number().int().nullable(), signal: z.string().nullable() }),
]);
export type ToHost = z.infer<typeof ToHost>;

export const FromHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The service could not start (a database newer than the app, a data folder it cannot write). */
  z.object({ type: z.literal('startFailed'), error: ErrorBody }),
  z.object({
    type: z.literal('reply'),
    id: Id,
    reply: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), result: z.unknown() }),
      z.object({ ok: z.literal(false), error: ErrorBody }),
    ]),
  }),
  /** A core event, for every window. */
  z.object({ type: z.literal('event'), event: z.object({ name: z.string(), payload: z.unknown() }) }),
  z.object({ type: z.literal('closed') }),
  z.object({
    type: z.literal('worker.fork'),
    worker: Id,
    entry: z.string(),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()),
  }),
  z.object({ type: z.literal('worker.send'), worker: Id, message: z.unknown() }),
  z.object({ type: z.literal('worker.kill'), worker: Id, signal: z.enum(['SIGTERM', 'SIGKILL', 'SIGINT']).optional() }),
]);
export type FromHost = z.infer<typeof FromHost>;

/** One end of the channel between main and the host, whatever carries it (utilityProcess, or child_process in tests). */
export interface HostChannel {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}
