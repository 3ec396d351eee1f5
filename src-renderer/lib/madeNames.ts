/**
 * Names the app makes for the user: the host a browser tab or the desktop app's hidden GPU window
 * lends its GPU as and what it does there, and a cluster profile sent without a name. Each is made in the page's
 * language when it is made and stored as a name, shown as stored from then on (a name is not
 * translated again when the language changes).
 */
import { m } from '../../i18n/paraglide/messages.js';

/** `a browser on Linux x86_64` (Korean `Linux x86_64의 브라우저`); `platform` is navigator.platform, empty when the browser hides it. */
export function browserHostName(platform: string): string {
  return platform ? m.gpu_host_browser({ platform }) : m.gpu_host_browser_unknown();
}

/** What a page lending its GPU does, as the agents table and a run's record say it: `a browser's GPU`. */
export function gpuJobName(): string {
  return m.gpu_host_job();
}

/** `this computer (Win32)`: the desktop app's own GPU, lent by its hidden window. */
export function thisComputerHostName(platform: string): string {
  return platform ? m.gpu_host_this_computer({ platform }) : m.gpu_host_this_computer_unknown();
}

/** `slurm (from the app)`: the name of cluster settings typed in the Run on cluster dialog and not saved under a name. */
export function appProfileName(kind: string): string {
  return m.clusterdlg_profile_from_app({ kind });
}
