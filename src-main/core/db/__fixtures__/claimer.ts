// Child process for the double-run test: claims queued runs until none is left, then prints their ids.
import { writeSync } from 'node:fs';
import { RunStore } from '../RunStore.ts';

const [path, owner] = process.argv.slice(2);
const store = RunStore.open(path!, { recover: false });
const claimed: number[] = [];
for (;;) {
  const run = store.claimNextRunnable(owner!);
  if (!run) break;
  claimed.push(run.id);
}
store.close();
writeSync(1, JSON.stringify(claimed));
