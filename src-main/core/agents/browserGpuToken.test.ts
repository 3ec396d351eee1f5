/**
 * The token a page (or the desktop app's GPU window) lends its GPU with is named in the page's
 * language, as the page names its host and job: the core made it in English whatever the language.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { m } from '../../../i18n/paraglide/messages.js';
import { makeTempDir } from '../../test/tempDir.ts';
import { createService, type Service } from '../service.ts';

let tmp: { dir: string; cleanup: () => void };
let service: Service;
beforeEach(() => {
  tmp = makeTempDir('kernellab-gpu-token-');
  service = createService({ dataDir: join(tmp.dir, 'home'), shell: 'cli', trains: false });
});
afterEach(async () => {
  await service.close();
  tmp.cleanup();
});

const labels = async () => (await service.call('agents.tokens', {})).map((t) => t.label);

describe("a browser's GPU token", () => {
  it("keeps the name the page makes in its language, and the core's English without one", async () => {
    const korean = m.gpu_host_job({}, { locale: 'ko' });
    expect(korean).toBe('브라우저의 GPU');
    await service.call('agents.browserGpuToken', { label: korean });
    await service.call('agents.browserGpuToken', {});
    expect(await labels()).toEqual(['브라우저의 GPU', "a browser's GPU"]);
  });

  it('refuses an empty or overlong name', async () => {
    await expect(service.call('agents.browserGpuToken', { label: '  ' })).rejects.toThrow(/label/);
    await expect(service.call('agents.browserGpuToken', { label: 'x'.repeat(201) })).rejects.toThrow(/label/);
  });
});
