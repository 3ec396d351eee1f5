import type { EventName, EventPayload, KernelLabEvent } from '../../src-main/core/contract/index.ts';
import { subscribe } from './api.ts';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/**
 * One event subscription for the whole page (one SSE connection in browser mode), fanned out to
 * the views that are open. A view calls `on(name, fn)` inside an $effect and returns the result,
 * so the listener goes away with the view.
 */
class LiveEvents {
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();
  #unsubscribe: (() => void) | undefined;

  on<E extends EventName>(name: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (payload: unknown) => void);
    this.#unsubscribe ??= subscribe((event: KernelLabEvent) => this.#dispatch(event));
    return () => {
      set.delete(listener as (payload: unknown) => void);
      if ([...this.#listeners.values()].every((s) => s.size === 0)) {
        this.#unsubscribe?.();
        this.#unsubscribe = undefined;
      }
    };
  }

  #dispatch(event: KernelLabEvent): void {
    for (const listener of this.#listeners.get(event.name) ?? []) listener(event.payload);
  }
}

export const live = new LiveEvents();

/** Calls `fn` at most once per `ms`, trailing: live events arrive in bursts, reloads should not. */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
