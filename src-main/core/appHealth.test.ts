import { renameSync, rmSync, writeFileSync } from 'node:fs';
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

  it('say a database deleted or replaced under the running service in English as before and in Korean', async () => {
    const home = join(temp.dir, 'home');
    const service = createService({ dataDir: home, shell: 'cli' });
    const database = join(home, 'kernellab.db');
    const databaseLine = async () => {
      const check = (await service.call('app.health', {})).checks.find((c) => c.name === 'database')!;
      expect(check.ok).toBe(false);
      return {
        en: check.detail,
        coded: coreTextOf(check.detailCode, check.detail, 'en'),
        ko: coreTextOf(check.detailCode, check.detail, 'ko'),
      };
    };
    try {
      expect((await service.call('app.health', {})).ok).toBe(true);
      for (const file of [database, `${database}-wal`, `${database}-shm`]) rmSync(file, { force: true });
      const deleted = await databaseLine();
      expect(deleted.en).toBe(
        `The database ${database} was deleted while KernelLab had it open; restart KernelLab (it starts a new, empty database there)`,
      );
      expect(deleted.coded).toBe(deleted.en);
      expect(deleted.ko).toBe(
        `데이터베이스 ${database}이(가) KernelLab이 열어 둔 동안 삭제되었습니다. KernelLab을 다시 시작하세요(그 자리에 새 빈 데이터베이스를 시작합니다)`,
      );

      writeFileSync(join(home, 'other.db'), '');
      renameSync(join(home, 'other.db'), database);
      const replaced = await databaseLine();
      expect(replaced.en).toBe(
        `The database ${database} was replaced by another file while KernelLab had it open; restart KernelLab to open the new one`,
      );
      expect(replaced.coded).toBe(replaced.en);
      expect(replaced.ko).toBe(
        `데이터베이스 ${database}이(가) KernelLab이 열어 둔 동안 다른 파일로 바뀌었습니다. 새 파일을 열려면 KernelLab을 다시 시작하세요`,
      );
      for (const line of [deleted.ko, replaced.ko]) expect(line.replace(database, '').replaceAll('KernelLab', '')).not.toMatch(/[A-Za-z]/);
    } finally {
      await service.close();
    }
  });
});
