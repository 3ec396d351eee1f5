/**
 * Test support: a separate process that claims queued runs from a shared database until none is
 * left and prints the ids it got (scheduler.test.ts runs two at once).
 */
import { RunStore } from '../db/RunStore.ts';
import { claimNextRunnable } from './sweepStore.ts';

const [dbPath, owner, startAt] = process.argv.slice(2);
const store = RunStore.open(dbPath!, { recover: false, owner });
// Both processes start claiming at the same instant, so their claims really interleave.
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 5));
const ids: number[] = [];
for (;;) {
  const run = claimNextRunnable(store, owner!, 60_000);
  if (!run) break;
  ids.push(run.id);
}
store.close();
process.stdout.write(JSON.stringify(ids));
