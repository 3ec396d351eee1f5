/** The state of one async load, for views that show loading, the value, or the core's error. */
export class Resource<T> {
  value = $state.raw<T | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  loading = $state(false);

  readonly #load: () => Promise<T>;

  constructor(load: () => Promise<T>) {
    this.#load = load;
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      this.value = await this.#load();
      this.error = undefined;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.loading = false;
    }
  }
}
