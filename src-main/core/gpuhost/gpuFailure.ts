/**
 * Why a run in a browser GPU host failed, in a sentence that names the cause a user can act on.
 * Chromium answers a lost GPU process (a crash, a driver reset, Browser.crashGpuProcess) and a GPU
 * out of memory with WebGPU's own words ("A valid external Instance reference no longer exists",
 * "Device was lost", "Out of memory"), which say nothing to someone training a CNN. The original
 * words stay after the sentence. No Node imports: the page uses it.
 */
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';

const lostGpu = /instance reference no longer exists|device (?:was |is )?lost|GPUDevice.*lost|context lost|CONTEXT_LOST|gpu process/i;
const outOfMemory =
  /out of memory|\bOOM\b|allocation (?:of .* )?failed|failed to allocate|exceeds (?:the )?(?:max|limit)|maxBufferSize|maxStorageBufferBindingSize/i;

/** gpuDeviceWatch.ts's words for a WebGPU internal error: English as they are, coded with the browser's part. */
const internalError = /^WebGPU failed inside the driver \(an internal error\): (.*)$/s;

/** A run's failure as it is stored: its sentence, its coded form (null: English only) and the problems it lists, coded. */
export interface GpuFailure {
  text: string;
  code: CoreText | null;
  issues?: ProblemText[];
}

/**
 * The failure of a GPU Worker's run as the run records it (`text`) and the page shows it (`code`).
 * A lost GPU or one out of memory is named here; otherwise `sent`, the coded form that came with
 * the words (the core's coded error inside the Worker, the host's own failure), codes them.
 */
export function gpuFailureText(error: string, sent: { code?: CoreText | undefined; issues?: ProblemText[] | undefined } = {}): GpuFailure {
  const words = error.slice(0, 3000);
  // The browser's words travel in the code too (bounded as a parameter is): they help a search.
  const code = { error: words.slice(0, 1000) };
  if (outOfMemory.test(words))
    return {
      text: `the browser's GPU ran out of memory for this model (a smaller batch size or model fits): ${words}`,
      code: coreText('gpu_failure_out_of_memory', code),
    };
  if (lostGpu.test(words))
    return {
      text: `the browser's GPU process stopped during the run (it crashed or its driver reset it); the next run gets a fresh GPU Worker: ${words}`,
      code: coreText('gpu_failure_lost', code),
    };
  const internal = internalError.exec(words);
  if (internal) return { text: words, code: coreText('gpu_failure_internal', { error: internal[1]!.slice(0, 1000) }) };
  // A coded form says the whole sentence: cut short, the words are no longer what it says.
  if (sent.code && words === error) return { text: words, code: sent.code, ...(sent.issues && { issues: sent.issues }) };
  return { text: words, code: null };
}

/** The failure of a GPU Worker's run as the run records it. */
export function gpuFailure(error: string): string {
  return gpuFailureText(error).text;
}
