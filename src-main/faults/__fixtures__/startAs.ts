// Opens the service on a data folder (run as an unprivileged user when the tests run as root, so
// permissions apply) and tries to start a run; prints what happened as JSON.
import { writeSync } from 'node:fs';
import { createService } from '../../core/service.ts';
import { KernelLabError } from '../../core/errors.ts';
import { errorBodyText } from '../../../i18n/coreText.ts';

const [home, startInput] = process.argv.slice(2);
try {
  const service = createService({ dataDir: home!, shell: 'cli' });
  try {
    const health = await service.call('app.health', {});
    try {
      await service.call('runs.start', JSON.parse(startInput!));
      writeSync(1, JSON.stringify({ health, started: true }));
    } catch (error) {
      // The refusal as a Korean page or CLI says it, beside its English.
      const ko = error instanceof KernelLabError ? errorBodyText(error.toBody(), 'ko') : undefined;
      writeSync(1, JSON.stringify({ health, started: false, message: (error as Error).message, ko }));
    }
  } finally {
    await service.close();
  }
} catch (error) {
  writeSync(1, JSON.stringify({ opened: false, message: (error as Error).message }));
}
