/**
 * Filesystem paths in the desktop app come from a file dialog that main opens, never from a
 * string the page makes up: a compromised renderer could otherwise name any file on the machine
 * (`datasets.import` of /etc/shadow, `engines.install` of a wheel planted in /tmp). The page asks
 * main to open the dialog and gets back opaque tokens for what the user chose; IPC calls carry
 * the tokens, and main swaps them for the paths. Browser mode keeps plain paths: it is reached
 * only with the token `kernellab serve` printed, by the person at that machine.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { coreText, type PickedPath } from '../core/contract/index.ts';
import { KernelLabError } from '../core/errors.ts';

export const pickedPrefix = 'picked:';

/** The input fields, per method, that hold filesystem paths: a list of them, or one. */
export const pathFields: Readonly<Record<string, string>> = {
  'datasets.import': 'paths',
  'engines.install': 'wheelFiles',
  'runs.importFile': 'path',
};

export class PathGrants {
  readonly #paths = new Map<string, { path: string; expires: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Tokens for paths the user chose in a dialog main opened. */
  grant(paths: readonly string[]): PickedPath[] {
    const expires = this.#now() + this.#ttlMs;
    return paths.map((path) => {
      const token = `${pickedPrefix}${randomBytes(18).toString('base64url')}`;
      this.#paths.set(token, { path, expires });
      return { token, name: basename(path) };
    });
  }

  resolve(token: string): string | undefined {
    const entry = this.#paths.get(token);
    if (!entry) return undefined;
    if (entry.expires < this.#now()) {
      this.#paths.delete(token);
      return undefined;
    }
    return entry.path;
  }

  /**
   * An IPC input with its path tokens swapped for paths. A field that holds anything but a live
   * token is refused, naming the field: the call goes nowhere.
   */
  rewrite(method: string, input: unknown): unknown {
    const field = pathFields[method];
    if (!field || input === null || typeof input !== 'object' || !(field in input)) return input;
    const value = (input as Record<string, unknown>)[field];
    const pathOf = (item: unknown, where: string): string => {
      const path = typeof item === 'string' ? this.resolve(item) : undefined;
      if (path === undefined) {
        throw new KernelLabError(
          'unauthorized',
          `${method}: ${where} is not a file chosen in the file dialog; in the desktop app files are picked with the dialog, not typed`,
          [`${where}: not a file chosen in the dialog`],
          {
            text: coreText('error_path_not_picked', { method, field: where }),
            issueTexts: [{ path: where, text: coreText('issue_path_not_picked', {}) }],
          },
        );
      }
      return path;
    };
    // One path (runs.importFile's file) is a token as well: anything else in the field is refused, not passed on.
    if (!Array.isArray(value)) return { ...(input as Record<string, unknown>), [field]: pathOf(value, field) };
    const paths = value.map((item, i) => pathOf(item, `${field}.${i}`));
    return { ...(input as Record<string, unknown>), [field]: paths };
  }
}
