import type { EventName, EventPayload, KernelLabEvent } from './contract/index.ts';

export type EventListener = (event: KernelLabEvent) => void;

/** Fan-out of core events to every open view (Electron windows, SSE clients, the CLI). */
export class EventBus {
  readonly #listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const event = { name, payload } as KernelLabEvent;
    for (const listener of this.#listeners) {
      // One failing view must not stop the others from hearing the event.
      try {
        listener(event);
      } catch (error) {
        console.error(`event listener failed on ${name}:`, error);
      }
    }
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
