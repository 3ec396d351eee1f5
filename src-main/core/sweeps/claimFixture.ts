/**
 * Test support: a separate process that claims queued runs from a shared database until none is
 * left and prints the ids it got (scheduler.test.ts runs two at once).
 */
import { existsSync } from 'node:fs';
import { RunStore } from '../db/RunStore.ts';
import { claimNextRunnable } from '../db/sweepQueue.ts';

const [dbPath, owner, goFile] = process.argv.slice(2);
const store = RunStore.open(dbPath!, { recover: false, owner });
// Both processes say they are ready, then start claiming when the test creates goFile, so their
// claims really interleave however slowly each process started.
process.stderr.write('ready\n');
while (!existsSync(goFile!)) await new Promise((r) => setTimeout(r, 2));
const ids: number[] = [];
for (;;) {
  const run = claimNextRunnable(store, owner!, 60_000);
  if (!run) break;
  ids.push(run.id);
}
store.close();
process.stdout.write(JSON.stringify(ids));
