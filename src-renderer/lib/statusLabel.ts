import { m } from '../../i18n/paraglide/messages.js';

/**
 * A status as the badge reads it, in the chosen language. The status itself stays the badge's
 * class (its colour) and the data the tests and the API use; an unknown one shows as it is.
 */
export function statusLabel(status: string): string {
  switch (status) {
    case 'queued':
      return m.status_queued();
    case 'running':
      return m.status_running();
    case 'completed':
      return m.status_completed();
    case 'failed':
      return m.status_failed();
    case 'canceled':
      return m.status_canceled();
    case 'interrupted':
      return m.status_interrupted();
    case 'diverged':
      return m.status_diverged();
    case 'pruned':
      return m.status_pruned();
    case 'pending':
      return m.status_pending();
    case 'paused':
      return m.status_paused();
    case 'absent':
      return m.status_absent();
    case 'ready':
      return m.status_ready();
    case 'downloading':
      return m.status_downloading();
    case 'corrupt':
      return m.status_corrupt();
    case 'installing':
      return m.status_installing();
    case 'broken':
      return m.status_broken();
    case 'not installed':
      return m.status_not_installed();
    default:
      return status;
  }
}

/** A checkpoint's kind as captions read it: best, last, or a per-epoch snapshot. */
export function checkpointKind(kind: string): string {
  if (kind === 'best') return m.checkpoint_best();
  if (kind === 'last') return m.checkpoint_last();
  if (kind === 'epoch') return m.checkpoint_snapshot();
  return kind;
}
