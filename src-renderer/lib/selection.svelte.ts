import { SvelteSet } from 'svelte/reactivity';

/** Runs the user ticked in the runs table; Compare (and its shortcut) reads them from here. */
class RunSelection {
  readonly ids = new SvelteSet<number>();

  toggle(id: number, on?: boolean): void {
    const want = on ?? !this.ids.has(id);
    if (want) this.ids.add(id);
    else this.ids.delete(id);
  }

  clear(): void {
    this.ids.clear();
  }

  get list(): number[] {
    return [...this.ids].sort((a, b) => a - b);
  }
}

export const selection = new RunSelection();
