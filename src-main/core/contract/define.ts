import type { z } from 'zod';

/** One API method: what it takes, what it returns, and a sentence for `--help` and the README. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> {
  return def;
}

export type MethodMap = Record<string, MethodDef>;
export type EventMapDef = Record<string, z.ZodType>;

/** What a handler knows about the call besides its input. */
export interface CallContext {
  /**
   * Aborted when the caller is gone (the HTTP client disconnected) or the service is closing:
   * long handlers stop at their next step instead of working for nobody.
   */
  signal: AbortSignal;
  /**
   * The agent token the call came with, checked by the service: which sweep it may work on.
   * Present only for `agent.` methods, which refuse calls without one.
   */
  agent?: { tokenId: number; sweepId: number | null } | undefined;
}

/** Handlers for a group of methods: each gets the parsed input and returns the output type. */
export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (input: z.output<M[K]['input']>, call: CallContext) => Promise<z.input<M[K]['output']>> | z.input<M[K]['output']>;
};
