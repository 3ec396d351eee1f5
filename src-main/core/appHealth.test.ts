import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../i18n/coreText.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { createService } from './service.ts';

const temp = makeTempDir('kernellab-health-');
afterEach(() => temp.cleanup());

describe("the data folder's health checks", () => {
  it('say what they found in English and, coded, in Korean, paths as they are', async () => {
    const home = join(temp.dir, 'home');
    const service = createService({ dataDir: home, shell: 'cli' });
    try {
      const health = await service.call('app.health', {});
      expect(health.ok).toBe(true);
      const details = health.checks.map((c) => c.detail);
      expect(details).toEqual([
        `${home} is writable`,
        `${join(home, 'runs')} is writable`,
        `${join(home, 'kernellab.db')} is the database in use`,
      ]);
      expect(health.checks.map((c) => coreTextOf(c.detailCode, c.detail, 'en'))).toEqual(details);
      expect(health.checks.map((c) => coreTextOf(c.detailCode, c.detail, 'ko'))).toEqual([
        `${home}에 쓸 수 있습니다`,
        `${join(home, 'runs')}에 쓸 수 있습니다`,
        `${join(home, 'kernellab.db')}: 지금 쓰는 데이터베이스입니다`,
      ]);
    } finally {
      await service.close();
    }
  });
});
