import type {
  ErrorBody,
  KernelLabBridge,
  KernelLabEvent,
  MethodInput,
  MethodName,
  MethodOutput,
  PickedPath,
} from '../../src-main/core/contract/index.ts';
import { coreTextOf, errorBodyText, issuesOf } from './coreText.ts';
import { createHttpBridge, uploadRunsExport } from './httpBridge.ts';

declare global {
  interface Window {
    kernellab?: KernelLabBridge;
  }
}

/** An error from the core, with the core's own message and, for bad input, the fields at fault. */
export class ApiError extends Error {
  readonly code: ErrorBody['code'];
  readonly issues: string[];
  /** A question the core asks before going ahead (ErrorBody.confirm): the same call with `yes: true` goes ahead. */
  readonly confirm: string | undefined;
  /** The core's English sentence, as logs and the CLI have it; `message` is in the page's language. */
  readonly sentence: string;
  constructor(body: ErrorBody) {
    super(errorBodyText(body));
    this.name = 'ApiError';
    this.sentence = body.message;
    this.code = body.code;
    this.issues = issuesOf(body.issues ?? [], body.issueCodes);
    this.confirm = body.confirm === undefined ? undefined : coreTextOf(body.confirmCode, body.confirm);
  }
}

// The Electron preload provides window.kernellab; in a plain browser we talk to `kernellab serve`.
const bridge: KernelLabBridge = window.kernellab ?? createHttpBridge();
export const shellKind: 'electron' | 'browser' = window.kernellab ? 'electron' : 'browser';

export async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = await bridge.invoke(method, input);
  if (!reply.ok) throw new ApiError(reply.error);
  return reply.result as MethodOutput<M>;
}

/**
 * The desktop app's file dialog, opened by main: tokens to send in place of paths. Undefined in
 * browser mode, where the user types paths on the machine running `kernellab serve`.
 */
export const pickPaths: ((kind: 'files' | 'folder') => Promise<PickedPath[]>) | undefined = bridge.pickPaths
  ? (kind) => bridge.pickPaths!(kind)
  : undefined;

/**
 * Browser mode's import of a runs export chosen in the page: the file is uploaded to the server as
 * it is. Undefined in the desktop app, which imports from main's file dialog (pickPaths).
 */
export const uploadRuns: ((file: File) => Promise<MethodOutput<'runs.importFile'>>) | undefined = window.kernellab
  ? undefined
  : async (file) => {
      const reply = await uploadRunsExport(file);
      if (!reply.ok) throw new ApiError(reply.error);
      return reply.result as MethodOutput<'runs.importFile'>;
    };

/**
 * Tells the desktop app's main process the language the page has set, so its menu, file dialogs
 * and error boxes speak it too, and whether it is the user's switch (`chosen`), so main's next
 * start speaks it before the page loads. Browser mode has no such shell: nothing to tell.
 */
export function tellShellLanguage(locale: string, chosen: boolean): void {
  bridge.setPageLanguage?.(locale, chosen).then(
    (reply) => {
      if (!reply.ok) console.error(new ApiError(reply.error).message);
    },
    (error: unknown) => console.error(error),
  );
}

export function subscribe(listener: (event: KernelLabEvent) => void): () => void {
  return bridge.subscribe(listener);
}
