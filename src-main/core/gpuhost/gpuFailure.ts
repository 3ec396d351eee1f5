/**
 * Why a run in a browser GPU host failed, in a sentence that names the cause a user can act on.
 * Chromium answers a lost GPU process (a crash, a driver reset, Browser.crashGpuProcess) and a GPU
 * out of memory with WebGPU's own words ("A valid external Instance reference no longer exists",
 * "Device was lost", "Out of memory"), which say nothing to someone training a CNN. The original
 * words stay after the sentence. No Node imports: the page uses it.
 */
import { coreText, type CoreText } from '../contract/coreText.ts';

const lostGpu = /instance reference no longer exists|device (?:was |is )?lost|GPUDevice.*lost|context lost|CONTEXT_LOST|gpu process/i;
const outOfMemory =
  /out of memory|\bOOM\b|allocation (?:of .* )?failed|failed to allocate|exceeds (?:the )?(?:max|limit)|maxBufferSize|maxStorageBufferBindingSize/i;

/** The failure of a GPU Worker's run as the run records it (`text`) and the page shows it (`code`: null when no cause is named). */
export function gpuFailureText(error: string): { text: string; code: CoreText | null } {
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
  return { text: words, code: null };
}

/** The failure of a GPU Worker's run as the run records it. */
export function gpuFailure(error: string): string {
  return gpuFailureText(error).text;
}
