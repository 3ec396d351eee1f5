/**
 * What a sweep's cancel could not do, for the page where the user pressed cancel: each cluster job
 * that scancel or the Kubernetes API did not cancel, in the page's language (its code, else the core's English).
 */
import type { Locale } from '../../i18n/locale.ts';
import type { MethodOutput } from '../../src-main/core/contract/api.ts';
import { coreTextOf } from './coreText.ts';

export function cancelProblems(result: MethodOutput<'sweeps.cancel'>, locale?: Locale): string[] {
  const jobs = result.clusterJobs;
  if (!jobs) return [];
  return jobs.problems.map((problem, i) => coreTextOf(jobs.problemCodes?.[i], problem, locale));
}
