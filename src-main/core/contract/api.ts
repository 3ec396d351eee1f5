/**
 * The method and event maps every shell is driven from, and the types derived from them. A name
 * that is not here is refused by every shell.
 */
import type { z } from 'zod';
import { agentMethods, agentsEvents, agentsMethods } from './agents.ts';
import { appEvents, appMethods } from './app.ts';
import { clustersEvents, clustersMethods } from './clusters.ts';
import { datasetsEvents, datasetsMethods } from './datasets.ts';
import { enginesEvents, enginesMethods } from './engines.ts';
import { experimentsEvents, experimentsMethods } from './experiments.ts';
import { inspectEvents, inspectMethods } from './inspect.ts';
import { runsEvents, runsMethods } from './runs.ts';
import { sweepsEvents, sweepsMethods } from './sweeps.ts';
import { trainingEvents, trainingMethods } from './training.ts';

export const methods = {
  ...agentMethods,
  ...agentsMethods,
  ...appMethods,
  ...clustersMethods,
  ...datasetsMethods,
  ...enginesMethods,
  ...experimentsMethods,
  ...inspectMethods,
  ...runsMethods,
  ...sweepsMethods,
  ...trainingMethods,
};

export const events = {
  ...agentsEvents,
  ...appEvents,
  ...clustersEvents,
  ...datasetsEvents,
  ...enginesEvents,
  ...experimentsEvents,
  ...inspectEvents,
  ...runsEvents,
  ...sweepsEvents,
  ...trainingEvents,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** The methods a remote agent (a cluster job, a browser lending its GPU) calls with its token. */
export type AgentMethodName = Extract<MethodName, `agent.${string}`>;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
/** What a listener receives: the event's name and its payload, as one discriminated value. */
export type KernelLabEvent = [EventName] extends [never]
  ? { name: string; payload: unknown }
  : { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];

/** The API as the renderer sees it: every method a promise. */
export type Api = { [M in MethodName]: (input: MethodInput<M>) => Promise<MethodOutput<M>> };

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
