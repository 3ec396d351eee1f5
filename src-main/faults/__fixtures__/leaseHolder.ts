// A second KernelLab process on a shared data folder, with a short lease (the fault suite stops it
// with SIGSTOP past its lease). It starts the run given as JSON, prints its id, and keeps going
// until SIGTERM.
import { writeSync } from 'node:fs';
import { createService } from '../../core/service.ts';

const [home, leaseMs, startInput] = process.argv.slice(2);
const service = createService({ dataDir: home!, shell: 'server', leaseMs: Number(leaseMs) });
const { runId } = await service.call('runs.start', JSON.parse(startInput!));
writeSync(1, `run ${runId}\n`);
process.on('SIGTERM', () => {
  void service.close().then(() => process.exit(0));
});
setInterval(() => undefined, 60_000);
