import type { KernelLabEvent, MethodName } from './api.ts';
import type { CoreText, IssueText } from './coreText.ts';

/** Error codes every shell maps the same way (HTTP status, CLI exit code, IPC rejection). */
export type ErrorCode = 'invalid_input' | 'not_found' | 'conflict' | 'unauthorized' | 'too_large' | 'unavailable' | 'internal';

/** An error as it crosses a process boundary; the message is meant for the user. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** One entry per offending field, `path: message`, when the error comes from validation. */
  issues?: string[];
  /**
   * A question the user may answer yes to (a sweep of more than 10,000 runs, a run of more than
   * 10,000 epochs): the same call with `yes: true` goes ahead. The shells show it with a button.
   */
  confirm?: string;
  /** `message` as a code with parameters, for the page to show in the user's language (coreText.ts). */
  messageCode?: CoreText;
  /** `confirm` coded, for the page's question in the user's language. */
  confirmCode?: CoreText;
  /** `issues` coded, one per issue in the same order, each with its field path (coreText.ts). */
  issueCodes?: IssueText[];
}

/** What one call returns across a process boundary: errors travel as values, never as rejections. */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

/**
 * `window.kernellab`, exposed by the Electron preload. In browser mode the renderer builds the
 * same shape over HTTP and Server-Sent Events, so views never know which shell they run in.
 */
export interface KernelLabBridge {
  invoke(method: MethodName, input: unknown): Promise<BridgeReply>;
  subscribe(listener: (event: KernelLabEvent) => void): () => void;
  /**
   * Desktop app only: main opens the file dialog and returns tokens for what the user chose,
   * which calls then carry in place of paths (a page cannot name files itself). Absent in
   * browser mode, where paths are typed.
   */
  pickPaths?(kind: 'files' | 'folder'): Promise<PickedPath[]>;
  /**
   * Desktop app only: tells main the language the page has set (a locale of the catalogue), so
   * the menu, file dialogs and error boxes main shows speak it too, and whether it is the user's
   * switch (`chosen`), which main remembers for its next start. A value that is not one is
   * refused and changes nothing. Absent in browser mode, where the page draws all it says.
   */
  setPageLanguage?(locale: string, chosen: boolean): Promise<BridgeReply>;
}

/** A file or folder chosen in main's dialog: an opaque token and the name to show. */
export interface PickedPath {
  token: string;
  name: string;
}
