/**
 * Test support: a separate process that claims queued runs from a shared database until none is
 * left and prints the ids it got (scheduler.test.ts runs two at once).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { RunStore } from '../db/RunStore.ts';

const [dbPath, owner, goFile, peer] = process.argv.slice(2);
const store = RunStore.open(dbPath!, { recover: false, owner });
const waitFor = async (file: string) => {
  const end = Date.now() + 60_000;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`${owner}: ${file} never appeared`);
    await new Promise((r) => setTimeout(r, 2));
  }
};
// Both processes say they are ready, then start claiming when the test creates goFile.
process.stderr.write('ready\n');
await waitFor(goFile!);
const ids: number[] = [];
for (;;) {
  const run = store.claimNextRunnable(owner!, 60_000);
  if (!run) break;
  ids.push(run.id);
  // After its first claim each process waits until the other has claimed too, so the rest of
  // the queue is drained by two live claimers however the OS schedules them (on a loaded
  // machine one process could otherwise take all runs before the other is scheduled at all).
  if (ids.length === 1) {
    writeFileSync(`${goFile}.${owner!.replace(/\W/g, '_')}`, '');
    await waitFor(`${goFile}.${peer!.replace(/\W/g, '_')}`);
  }
}
store.close();
process.stdout.write(JSON.stringify(ids));
