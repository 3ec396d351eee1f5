/**
 * The machine's disk limit for each run's per-epoch weight snapshots (training/weightSnapshots.ts),
 * in the settings table. The scheduler reads it when it starts a run; the Filters view shows and
 * sets it (inspect.snapshotLimit / inspect.setSnapshotLimit).
 */
import { defaultSnapshotLimitMiB, SnapshotLimitMiB } from '../contract/inspect.ts';
import type { RunStore } from '../db/RunStore.ts';

const settingKey = 'weightSnapshotsMiB';

/** The limit set for this machine in MiB, or the default when none (or an unreadable one) is stored. */
export function snapshotLimitMiB(store: Pick<RunStore, 'getSetting'>): number {
  const stored = SnapshotLimitMiB.safeParse(store.getSetting(settingKey));
  return stored.success ? stored.data : defaultSnapshotLimitMiB;
}

export function setSnapshotLimitMiB(store: Pick<RunStore, 'setSetting'>, limitMiB: number): void {
  store.setSetting(settingKey, SnapshotLimitMiB.parse(limitMiB));
}
