/**
 * A Vitest environment: Node, with modules transformed as for the page. The Svelte compiler turns
 * the runes of `*.svelte.ts` state classes into client signals (in Node's default server transform
 * a $derived never updates and an $effect never runs).
 */
export default {
  name: 'svelte-client',
  viteEnvironment: 'client',
  setup: () => ({ teardown: () => undefined }),
};
