/**
 * The single-file kernellab-agent's help in the user's language (issue 17): its entry (main.ts,
 * what the built binary runs) started in a real Node process, without building the binary
 * (sea.slow.test.ts builds it); commander's section titles and its own options come from the
 * catalogue as kernellab's do, and so do commander's own usage errors (cli/commanderText.ts).
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

  // Seven agent processes one after another: over the 60 s default on two shared cores under load.
  it(
    'says commander\'s usage errors and its "(choices: …)" in Korean as kernellab does, and in English as commander\'s own',
    { timeout: 180_000 },
    () => {
      const flags = ['--server', 'http://127.0.0.1:9', '--token-file', 't'];
      const badChoice = agent('ko', ...flags, '--backend', 'gpu');
      expect(badChoice).toMatchObject({
        code: 2,
        err: "오류: 옵션 '--backend <name>'의 값 'gpu'이(가) 올바르지 않습니다. 가능한 값: tensorflow, wasm, cpu.\n",
      });
      expect(agent('ko', ...flags, '--bogus').err).toBe("오류: 알 수 없는 옵션 '--bogus'\n");
      expect(agent('ko', '--token-file', 't').err).toBe("오류: 필수 옵션 '--server <url>'을(를) 지정하지 않았습니다\n");
      const help = agent('ko', '--help').out;
      expect(help).toMatch(/^사용법: kernellab-agent \[옵션\]$/m);
      expect(help).toMatch(/\(선택:\s+"tensorflow", "wasm", "cpu"\)/);
      expect(help).not.toMatch(/choices:|\[options\]/);
      expect(agent('en', ...flags, '--backend', 'gpu')).toMatchObject({
        code: 2,
        err: "error: option '--backend <name>' argument 'gpu' is invalid. Allowed choices are tensorflow, wasm, cpu.\n",
      });
      expect(agent('en', '--help').out).toMatch(/\(choices: "tensorflow",\s+"wasm", "cpu"\)/);
    },
  );
});
