import { compileMessages } from './compile.ts';

/** Vitest's global setup: the generated message functions exist before any test imports them. */
export default async function setup(): Promise<void> {
  await compileMessages();
}
