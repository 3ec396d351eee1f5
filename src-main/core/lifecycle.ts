/**
 * The parts of a service that hold state over time (the store, the scheduler, transfers in
 * flight), started in order and stopped in reverse: what is started last depends on what was
 * started before it, so it stops first. Modelled on Actual Budget's `service()` /
 * `startServices()` / `stopServices()` (loot-core/src/server/app.ts): state is built, started and
 * stopped explicitly, never on first use.
 */
export interface ServicePart {
  /** Said in the message when stopping it fails. */
  readonly name: string;
  start?(): void;
  /** Resolves once the part holds nothing any more (workers gone, files closed). */
  stop(): void | Promise<void>;
}

export class Lifecycle {
  readonly #parts: readonly ServicePart[];
  #started: ServicePart[] = [];
  #stopping: Promise<void> | undefined;

  constructor(parts: readonly ServicePart[]) {
    this.#parts = parts;
  }

  /**
   * Starts every part in order. A part that throws stops the ones already started (in reverse)
   * and the error goes to the caller: a service half started is never handed out.
   */
  start(): void {
    if (this.#started.length > 0 || this.#stopping) throw new Error('the service was started already');
    for (const part of this.#parts) {
      try {
        part.start?.();
      } catch (error) {
        void this.stop();
        throw error;
      }
      this.#started.push(part);
    }
  }

  /**
   * Stops the started parts in reverse order, each awaited before the next. One that fails is
   * reported and the rest still stop, so the database closes even when a worker would not.
   * Calling it again returns the same stop.
   */
  stop(onError: (part: string, error: unknown) => void = reportStopFailure): Promise<void> {
    this.#stopping ??= (async () => {
      const parts = this.#started.reverse();
      this.#started = [];
      for (const part of parts) {
        try {
          await part.stop();
        } catch (error) {
          onError(part.name, error);
        }
      }
    })();
    return this.#stopping;
  }
}

function reportStopFailure(part: string, error: unknown): void {
  console.error(`stopping the ${part} failed:`, error instanceof Error ? error.message : error);
}
