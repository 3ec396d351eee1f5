/**
 * The agent image cannot be built here (no container runtime): what can be checked is that the
 * Dockerfile copies files that exist and that its entrypoint is the agent command, which runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('Dockerfile.agent', () => {
  const text = readFileSync(`${root}Dockerfile.agent`, 'utf8');

  it('copies only files that exist, and starts the agent', () => {
    const copies = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copies).toEqual(['package.json', 'i18n', 'package.json', 'package-lock.json', 'bin', 'src-main', 'migrations', 'i18n']);
    for (const path of copies) expect(existsSync(`${root}${path}`), path).toBe(true);
    expect(text).toMatch(/^FROM node:22/m);
    // The CLI imports the compiled messages (i18n/paraglide), which the messages stage builds.
    expect(text).toContain('COPY --from=messages /build/i18n/paraglide ./i18n/paraglide');
    expect(text).toMatch(/node i18n\/compile\.ts/);
    expect(text).toContain('ENTRYPOINT ["node", "/opt/kernellab/bin/kernellab.js", "agent"]');
  });

  it('has an entrypoint that answers --help with the flags the launchers pass', () => {
    const help = spawnSync(process.execPath, [`${root}bin/kernellab.js`, 'agent', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const flag of ['--server', '--token-file', '--sweep', '--count', '--backend', '--spool', '--job'])
      expect(help.stdout).toContain(flag);
  });
});
