import { join } from 'node:path';
import { fileCheckpoints } from './checkpointIO.ts';
import type { TrainingEnvironment } from './trainer.ts';

/** The training loop's environment in a Node worker process: checkpoints under the run's folder, this process's CPU time and memory. */
export function nodeEnvironment(runDir: string): TrainingEnvironment {
  return {
    checkpoints: fileCheckpoints(join(runDir, 'checkpoints')),
    cpuSeconds: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },
    memoryBytes: () => process.memoryUsage().rss,
    yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}
