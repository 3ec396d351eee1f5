// Child process for the crash test: claims the queued run, then writes metric batches until killed,
// printing each one after it is committed (writeSync: the loop never yields to flush a stream).
import { writeSync } from 'node:fs';
import { RunStore } from '../RunStore.ts';

const store = RunStore.open(process.argv[2]!, { recover: false });
const runId = store.claimNextRunnable()!.id;
writeSync(1, `claimed ${runId}\n`);
const batchSize = 500;
for (let batch = 0; ; batch++) {
  const points = [];
  for (let i = 0; i < batchSize; i++) {
    const step = batch * batchSize + i;
    points.push({ runId, key: i % 2 ? 'loss' : 'accuracy', step, epoch: batch, value: step / 1000 });
  }
  store.logBatch(points);
  writeSync(1, `committed ${batch + 1}\n`);
}
