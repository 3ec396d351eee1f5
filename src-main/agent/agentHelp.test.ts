/**
 * The single-file kernellab-agent's help in the user's language (issue 17): its entry (main.ts,
 * what the built binary runs) started in a real Node process, without building the binary
 * (sea.slow.test.ts builds it); commander's section titles and its own options come from the
 * catalogue as kernellab's do.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
const script = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(['node', 'kernellab-agent', ...process.argv.slice(1)], '9.9.9');`;

function agent(lang: string, ...args: string[]) {
  const { KERNELLAB_LANG: _pinned, LANG: _lang, LC_ALL: _all, LC_MESSAGES: _messages, ...rest } = process.env;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...rest, KERNELLAB_LANG: lang },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('kernellab-agent --help', () => {
  it("titles its sections and words its help and version options in Korean, and in English as commander's own", () => {
    const ko = agent('ko', '--help');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(/^사용법: kernellab-agent /);
    expect(ko.out).toMatch(/^옵션:$/m);
    expect(ko.out).toMatch(/^ {2}-h, --help +도움말 표시$/m);
    expect(ko.out).toMatch(/^ {2}-V, --version +버전 번호 출력$/m);
    expect(ko.out).not.toMatch(/Usage:|Options:|display help|output the version/);
    const en = agent('en', '--help');
    expect(en.out).toMatch(/^Usage: kernellab-agent /);
    expect(en.out).toMatch(/^Options:$/m);
    expect(en.out).toMatch(/^ {2}-h, --help +display help$/m);
    expect(agent('ko', '--version').out).toBe('9.9.9\n');
  });
});
