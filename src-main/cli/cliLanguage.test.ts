/**
 * The CLI in Korean and English (issue 17): help, progress and summary lines and the errors it
 * words itself come from the message catalogue in the language of --lang, KERNELLAB_LANG or the
 * system locale; what programs read (--json, exports) stays the same in every language.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { coreTextOf } from '../../i18n/coreText.ts';
import type { AppInfo } from '../core/contract/app.ts';
import { maxWasmThreads } from '../core/training/wasmThreads.ts';
import { barTimeFormat, epochLine } from './train.ts';
import { setLocale } from '../../i18n/paraglide/runtime.js';

const temp = makeTempDir('kernellab-cli-lang-');
afterAll(() => temp.cleanup());
const home = join(temp.dir, 'home');

function kernellab(env: Record<string, string | undefined>, ...args: string[]) {
  const { KERNELLAB_LANG: _pinned, LANG: _lang, LC_ALL: _all, LC_MESSAGES: _messages, ...rest } = process.env;
  const result = spawnSync(process.execPath, [cliPath, '--home', home, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...rest, ...env },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('the CLI in Korean and English', () => {
  it('prints help in Korean with --lang ko, KERNELLAB_LANG=ko or a Korean system locale, and in English otherwise', () => {
    const flag = kernellab({}, '--lang', 'ko', 'train', '--help');
    expect(flag.code, flag.err).toBe(0);
    expect(flag.out).toContain('사용법:');
    expect(flag.out).toContain('실행 하나를 학습하고');
    expect(flag.out).toContain('모든 합성곱 층의 커널 크기');
    expect(flag.out).toContain('기본값: 생략한 플래그는 프리셋의 값을 따릅니다:');
    expect(flag.out).not.toContain('Usage:');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'train', '--help').out).toContain('사용법:');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'summary', '--help').out).toContain('프리셋 네트워크: lenet5, lenet5-swish, mnist-two-conv');
    expect(kernellab({ LANG: 'ko_KR.UTF-8' }, '--help').out).toContain('합성곱 신경망을 학습하고');
    const english = kernellab({ LANG: 'C' }, 'train', '--help');
    expect(english.out).toContain('Usage:');
    expect(english.out).toContain('kernel size of every conv layer');
    // --lang wins over the variable.
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, '--lang', 'en', '--help').out).toContain('Usage:');
  });

  it('words its own errors in Korean, exit codes unchanged', () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'call', 'app.info', '{not json');
    expect(ko.code).toBe(2);
    expect(ko.err).toContain('입력이 JSON이 아닙니다');
    const en = kernellab({ KERNELLAB_LANG: 'en' }, 'call', 'app.info', '{not json');
    expect(en.code).toBe(2);
    expect(en.err).toContain('input is not JSON');
  });

  it("says the core's dataset errors in Korean from their codes, and in English exactly as the core wrote them", () => {
    const missing = join(temp.dir, 'no-such-folder');
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'import', missing, '--name', 'mnist');
    expect(ko.code).toBe(2);
    expect(ko.err).toBe(`kernellab: ${missing}: 그런 파일이나 폴더가 없습니다\n`);
    const en = kernellab({ KERNELLAB_LANG: 'en' }, 'datasets', 'import', missing, '--name', 'mnist');
    expect(en.code).toBe(2);
    expect(en.err).toBe(`kernellab: ${missing}: no such file or folder\n`);
  });

  it("words commander's [options]/[command] in usage lines in Korean and lines up help columns by terminal cells", () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, '--help');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toContain('사용법: kernellab [옵션] [명령]');
    expect(ko.out).toMatch(/^ {2}info \[옵션\] +버전/m);
    expect(ko.out).not.toContain('[options]');
    // Every description of the command list starts in the same terminal cell (Hangul takes two).
    const commands = ko.out
      .split('명령:\n')[1]!
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l));
    const starts = commands.map((l) => stringWidth(/^ {2}\S.*? {2,}/.exec(l)![0]));
    expect(commands.length).toBeGreaterThan(5);
    expect(new Set(starts).size).toBe(1);
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'import', '--help').out).toContain(
      '사용법: kernellab datasets import [옵션] <paths...>',
    );
    const en = kernellab({ KERNELLAB_LANG: 'en' }, '--help');
    expect(en.out).toContain('Usage: kernellab [options] [command]');
    expect(en.out).toMatch(/^ {2}info \[options\] +version/im);
  });

  it("says summary's own --model/--preset/--dataset errors in Korean, English unchanged", () => {
    const preset = kernellab({ KERNELLAB_LANG: 'ko' }, 'summary', '--preset', 'nope');
    expect(preset.code).toBe(2);
    expect(preset.err).toBe("kernellab: --preset: 'nope'은(는) 프리셋이 아닙니다\n");
    const dataset = kernellab({ KERNELLAB_LANG: 'ko' }, 'summary', '--preset', 'lenet5-relu', '--dataset', 'nope');
    expect(dataset.err).toBe("kernellab: --dataset: 'nope'은(는) mnist, fashion-mnist, cifar10 중 하나가 아닙니다\n");
    const missing = join(temp.dir, 'no-model.json');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'summary', '--model', missing).err).toMatch(
      new RegExp(`^kernellab: --model: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}을\\(를\\) JSON으로 읽을 수 없습니다: ENOENT`),
    );
    expect(kernellab({ KERNELLAB_LANG: 'en' }, 'summary', '--preset', 'lenet5-relu', '--dataset', 'nope').err).toBe(
      "kernellab: --dataset: 'nope' is not mnist, fashion-mnist or cifar10\n",
    );
  });

  it('labels kernellab info in Korean, and prints the same JSON in both languages', () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'info');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toContain('데이터 폴더');
    expect(ko.out).toContain('백엔드');
    // What auto picks and why (no CUDA GPU and no browser report on this test machine's fresh data folder).
    expect(ko.out).toMatch(/: 이 컴퓨터에는 CUDA GPU가 없고 아직 GPU를 빌려준 브라우저가 없으므로.* 실행은 \w+에서 학습합니다\n/);
    const en = kernellab({ KERNELLAB_LANG: 'en' }, 'info').out;
    expect(en).toMatch(/: no CUDA GPU here and no browser has lent its GPU yet .*, so runs train on \w+\n/);
    // The fresh data folder has no tensorflow engine: why it does not load, coded; English as the probe said it.
    expect(ko.out).toContain(
      "    ✗ tensorflow  설치되지 않았습니다. 'kernellab engine install tensorflow'를 실행하세요(또는 이 컴퓨터의 엔진 패널)\n",
    );
    expect(en).toContain(
      "    ✗ tensorflow  not installed: run 'kernellab engine install tensorflow' (or the Engines panel in This machine)\n",
    );
    // What wasm and cpu run on: the CPU's model as Node names it, the rest in Korean; English as before.
    const cpu = cpus()[0]!.model.trim();
    const threads = cpus().length;
    const perRun = Math.min(maxWasmThreads, availableParallelism());
    expect(ko.out).toContain(`    ✓ wasm        ${cpu} (스레드 ${threads}개), SIMD 켜짐, 실행마다 스레드 최대 ${perRun}개\n`);
    expect(ko.out).toContain(`    ✓ cpu         순수 JavaScript, ${cpu} (스레드 ${threads}개)\n`);
    expect(en).toContain(`    ✓ wasm        ${cpu} (${threads} threads), SIMD on, up to ${perRun} threads per run\n`);
    expect(en).toContain(`    ✓ cpu         pure JavaScript on ${cpu} (${threads} threads)\n`);
    const jsonKo = JSON.parse(kernellab({ KERNELLAB_LANG: 'ko' }, 'info', '--json').out) as Record<string, unknown>;
    const jsonEn = JSON.parse(kernellab({ KERNELLAB_LANG: 'en' }, 'info', '--json').out) as Record<string, unknown>;
    expect(Object.keys(jsonKo)).toEqual(Object.keys(jsonEn));
    expect(jsonKo.dataDir).toBe(jsonEn.dataDir);
    // The page renders each row from its code: in English, the probe's own sentence.
    const backends = (jsonEn as unknown as AppInfo).backends;
    expect(backends.map((b) => b.detailCode?.code)).toEqual([
      'backend_engine_not_installed',
      'backend_wasm_loads_simd',
      'backend_cpu_loads',
    ]);
    for (const b of backends) expect(coreTextOf(b.detailCode, '', 'en')).toBe(b.detail);
  });

  it('heads the runs table in Korean, and refuses a bad id in the same words as ever in English', () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'runs', 'ls');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(/^id +상태 +이름 +test_acc +val_acc +초$/m);
    expect(ko.out).toContain('실행 0개 중 0개');
    expect(kernellab({ KERNELLAB_LANG: 'en' }, 'runs', 'ls').out).toContain('0 of 0 runs');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'runs', 'export').err).toContain('실행 id나 --sweep <id>를 지정하세요');
  });

  it('explains kernellab sweep in Korean, and says so when there is nothing to resume', () => {
    const help = kernellab({ KERNELLAB_LANG: 'ko' }, 'sweep', '--help');
    expect(help.out).toContain('에폭 수마다 따로 학습 (에폭 접기 없음)');
    expect(help.out).toContain('쉼표로 여러 값을 주면 스윕 축이 됨');
    const resume = kernellab({ KERNELLAB_LANG: 'ko' }, 'sweep', 'resume');
    expect(resume.code, resume.err).toBe(0);
    expect(resume.out).toContain('재개할 것이 없습니다');
  });

  it("prints kernellab summary's table in Korean", () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'summary', '--preset', 'lenet5');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(/^# +층 +출력 +파라미터 +수용 영역 +간격 +시작$/m);
    expect(ko.out).toContain('클래스 10개');
  });

  it('lists datasets and engines in Korean, columns lined up under Korean headers, JSON unchanged', () => {
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'ls');
    expect(ko.code, ko.err).toBe(0);
    const [header, mnist] = ko.out.split('\n');
    expect(header).toMatch(/^이름 +상태 +변형 +학습 +테스트 +형태 +디스크 사용량 +내려받을 크기 +문제$/);
    expect(mnist).toMatch(/^mnist +없음 +60000 +10000 +28x28x1 /);
    // Each value starts in the same terminal cell as its Korean header.
    const at = (line: string, text: string) => stringWidth(line.slice(0, line.indexOf(text)));
    expect(at(mnist!, '없음')).toBe(at(header!, '상태'));
    expect(at(mnist!, '60000')).toBe(at(header!, '학습'));
    expect(at(mnist!, '28x28x1')).toBe(at(header!, '형태'));
    expect(kernellab({ KERNELLAB_LANG: 'en' }, 'datasets', 'ls').out).toMatch(/^name +status +variant +train +test +shape +on disk/);
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'ls', '--json').out).toBe(
      kernellab({ KERNELLAB_LANG: 'en' }, 'datasets', 'ls', '--json').out,
    );

    const bad = kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'download', 'imagenet');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'imagenet'은(는) 데이터셋이 아닙니다; 다음 중 하나여야 합니다: mnist, fashion-mnist, cifar10");
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', 'rm', 'mnist').out).toBe('mnist: 삭제할 것이 없습니다\n');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'datasets', '--help').out).toContain('데이터셋 (MNIST, Fashion-MNIST, CIFAR-10) 나열');

    const engines = kernellab({ KERNELLAB_LANG: 'ko' }, 'engine', 'ls');
    expect(engines.code, engines.err).toBe(0);
    expect(engines.out).toMatch(/^엔진 폴더: /);
    expect(engines.out).toMatch(/^tensorflow: (설치되지 않음|준비됨 —|손상됨)/m);
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'engine', 'rm', 'tensorflow').out).toBe('설치된 tensorflow 엔진이 없었습니다\n');
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, 'engine', 'rm', 'pytorch').err).toContain("'pytorch'은(는) 엔진이 아닙니다");
    expect(kernellab({ KERNELLAB_LANG: 'en' }, 'engine', 'rm', 'tensorflow').out).toBe('no tensorflow engine was installed\n');
  });

  it("says the agent's own refusals in Korean from their codes, in English exactly as the core says them", () => {
    const args = ['agent', '--server', 'http://127.0.0.1:9', '--token-file', 'no-such-token-file'];
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, ...args)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--token-file: \S*no-such-token-file을\(를\) 읽을 수 없습니다\(ENOENT\)/) as unknown,
    });
    expect(kernellab({ KERNELLAB_LANG: 'en' }, ...args).err).toMatch(/--token-file: cannot read \S*no-such-token-file \(ENOENT\)/);
  });

  it(
    'speaks Korean in keras, serve, sweep submit/jobs and agent: help, results and their own errors; files the same in both languages',
    { timeout: 180_000 },
    () => {
      const ko = (...args: string[]) => kernellab({ KERNELLAB_LANG: 'ko' }, ...args);
      const en = (...args: string[]) => kernellab({ KERNELLAB_LANG: 'en' }, ...args);
      const submitHelp = ko('sweep', 'submit', '--help');
      expect(submitHelp.out).toContain('실행 방식:');
      expect(submitHelp.out).toContain('`kernellab call agents.revokeToken \'{"id":N}\'`로 취소할 수 있음');
      expect(submitHelp.out).toContain('Slurm: 파티션');
      expect(en('sweep', 'submit', '--help').out).toContain('revocable\n  with `kernellab call agents.revokeToken \'{"id":N}\'`.');
      expect(ko('sweep', 'submit', '1')).toMatchObject({ code: 2, err: expect.stringContaining('어디로 보낼지 지정하세요') as unknown });
      expect(en('sweep', 'submit', '1').err).toContain('say where: --slurm or --kubernetes (or --profile NAME)');
      expect(ko('sweep', 'jobs').out).toMatch(/^스윕 +종류 +작업 +태스크 +상태 +세부$/m);

      expect(ko('agent', '--help').out).toContain('KernelLab 서버에서 스윕의 실행을 가져와 여기서 학습');
      expect(ko('agent', '--server', 'http://127.0.0.1:9', '--token-file', 't', '--count', '0')).toMatchObject({
        code: 2,
        err: expect.stringContaining("--count: '0'은(는) 1 이상의 정수가 아닙니다") as unknown,
      });
      expect(en('agent', '--server', 'http://127.0.0.1:9', '--token-file', 't', '--count', '0').err).toContain(
        "--count: '0' is not a whole number of at least 1",
      );

      expect(ko('serve', '--port', '99999')).toMatchObject({
        code: 2,
        err: expect.stringContaining('포트 번호 (0–65535)가 아닙니다') as unknown,
      });
      expect(ko('serve', '--tls-cert', 'c.pem').err).toContain('--tls-cert와 --tls-key는 함께 씁니다');

      expect(ko('import', 'keras', 'model.json', '--run-spec', 'run.yaml').err).toContain(
        '실행이 학습할 데이터셋을 --dataset으로 지정하세요',
      );
      const koFile = join(temp.dir, 'lenet5-ko.json');
      const enFile = join(temp.dir, 'lenet5-en.json');
      const exported = ko('export', 'keras', '--preset', 'lenet5', '--out', koFile);
      expect(exported.code, exported.err).toBe(0);
      expect(exported.out).toContain(`Keras JSON을 ${koFile}에 썼습니다`);
      expect(en('export', 'keras', '--preset', 'lenet5', '--out', enFile).out).toContain(`Keras JSON written to ${enFile}`);
      expect(readFileSync(koFile, 'utf8')).toBe(readFileSync(enFile, 'utf8'));
    },
  );

  it("previews a sweep's points in Korean (--dry-run), with the same JSON in both languages", () => {
    const args = [
      'sweep',
      '--preset',
      'lenet5',
      '--dataset',
      'mnist',
      '--kernel-size',
      '3,5',
      '--epochs',
      '1,2',
      '--subset',
      '100',
      '--dry-run',
    ];
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, ...args);
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toContain('실행 4개: 학습 2개, 에폭 접기로 도출 2개, 불가능 0개');
    expect(ko.out).toMatch(/^에폭 접기: 켜짐 \(/m);
    expect(ko.out).toContain('점 (4개 중 4개):');
    expect(ko.out).toMatch(/^ {2}0 {2}kernelSize=3 epochs=1 {2}시드 42 {2}점 1의 실행에서 읽음 \(에폭 접기\)$/m);
    expect(ko.out).toMatch(/^ {2}1 {2}kernelSize=3 epochs=2 {2}시드 42 {2}학습, ~/m);
    const en = kernellab({ KERNELLAB_LANG: 'en' }, ...args);
    expect(en.out).toContain('4 runs: 2 to train, 2 derived by epoch folding, 0 impossible');
    expect(en.out).toMatch(/^ {2}0 {2}kernelSize=3 epochs=1 {2}seed 42 {2}read from point 1's run \(epoch folding\)$/m);
    expect(kernellab({ KERNELLAB_LANG: 'ko' }, ...args, '--json').out).toBe(kernellab({ KERNELLAB_LANG: 'en' }, ...args, '--json').out);
    // Each point's time and the estimate in the reader's words (3분 10초), in English as before (3 min 10 s).
    const duration = { ko: '(\\d+초|\\d+분 \\d+초|\\d+시간 \\d+분)', en: '(\\d+ s|\\d+ min \\d+ s|\\d+ h \\d+ min)' };
    expect(ko.out).toMatch(new RegExp(`^ {2}1 {2}kernelSize=3 epochs=2 {2}시드 42 {2}학습, ~${duration.ko}$`, 'm'));
    expect(ko.out).toMatch(new RegExp(`^예상 ${duration.ko} \\(워커 \\d+개\\) — `, 'm'));
    expect(en.out).toMatch(new RegExp(`^ {2}1 {2}kernelSize=3 epochs=2 {2}seed 42 {2}train, ~${duration.en}$`, 'm'));
    expect(en.out).toMatch(new RegExp(`^estimated ${duration.en} with \\d+ workers — `, 'm'));
  });

  it("says the training bar's elapsed time and ETA in Korean, cli-progress's own words in English", () => {
    expect(barTimeFormat('en')).toBeUndefined();
    const ko = barTimeFormat('ko')!;
    const options = {};
    expect(ko(70, options, 1)).toBe('1분 10초');
    expect(ko(4, options, 5)).toBe('4초');
    // cli-progress passes 'NULL' or 'INF' while it cannot tell yet.
    expect(ko('NULL' as unknown as number, options, 5)).toBe('—');
  });

  it('says what an engine install needs and lacks in Korean, on a machine without python, npm or a compiler', () => {
    const emptyPath = join(temp.dir, 'empty-path');
    mkdirSync(emptyPath, { recursive: true });
    const bare = { PATH: emptyPath, KERNELLAB_PYTHON: undefined, npm_config_nodedir: undefined };
    const ko = kernellab({ ...bare, KERNELLAB_LANG: 'ko' }, 'engine', 'ls');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(/^ {4}✗ python +PATH에 python3가 없습니다\(pip가 있는 Python을 KERNELLAB_PYTHON으로 지정하세요\)\. /m);
    expect(ko.out).toMatch(/^ {4}✗ npm +PATH에 npm이 없습니다\. /m);
    expect(ko.out).toMatch(/^ {4}✗ compiler +PATH에 C\+\+ 컴파일러\(c\+\+, g\+\+, clang\+\+\)가 없습니다\. /m);
    expect(ko.out).toMatch(/^ {4}✓ node headers +node 옆에 설치되어 있지 않습니다\. /m);
    const en = kernellab({ ...bare, KERNELLAB_LANG: 'en' }, 'engine', 'ls');
    expect(en.out).toMatch(
      /^ {4}✗ python +no python3 on PATH \(set KERNELLAB_PYTHON to a Python with pip\); pip downloads the TensorFlow wheel$/m,
    );
    expect(en.out).toMatch(/^ {4}✗ npm +npm is not on PATH; it fetches @tensorflow\/tfjs-node-gpu/m);
  });

  it('says why a point of a sweep cannot run in Korean (--dry-run), and in English as the core wrote it', () => {
    const args = ['sweep', '--preset', 'lenet5-relu', '--dataset', 'mnist', '--kernel-size', '3,40', '--epochs', '1', '--dry-run'];
    const ko = kernellab({ KERNELLAB_LANG: 'ko' }, ...args);
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(
      /^ {2}1 {2}kernelSize=40 epochs=1 {2}시드 42 {2}불가능: layers\[0\] \(conv2d\): .*40×40 창이 28픽셀 입력보다 큽니다/m,
    );
    expect(ko.out).not.toContain('window is larger');
    const en = kernellab({ KERNELLAB_LANG: 'en' }, ...args);
    expect(en.out).toMatch(
      /^ {2}1 {2}kernelSize=40 epochs=1 {2}seed 42 {2}.*layers\[0\] \(conv2d\): .*the 40×40 window is larger than its 28-pixel input/m,
    );
  });

  it("words commander's own usage errors and help additions in Korean, exit code 2 as before", () => {
    const ko = (...args: string[]) => kernellab({ KERNELLAB_LANG: 'ko' }, ...args);
    const en = (...args: string[]) => kernellab({ KERNELLAB_LANG: 'en' }, ...args);
    const unknownOption = ko('runs', 'ls', '--jsn');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toMatch(/^오류: 알 수 없는 옵션 '--jsn'\n\(--json을\(를\) 뜻했나요\?\)\n/);
    expect(unknownOption.err).toContain('사용법: kernellab runs ls');
    expect(en('runs', 'ls', '--jsn').err).toMatch(/^error: unknown option '--jsn'\n\(Did you mean --json\?\)\n/);
    expect(ko('runs', 'lss')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^오류: 알 수 없는 명령 'lss'\n\(ls을\(를\) 뜻했나요\?\)/) as unknown,
    });
    expect(ko('sweep', 'submit').err).toMatch(/^오류: 필수 인수 'sweep'이\(가\) 없습니다\n/);
    expect(ko('agent').err).toMatch(/^오류: 필수 옵션 '--server <url>'을\(를\) 지정하지 않았습니다\n/);
    expect(ko('agent', '--server').err).toMatch(/^오류: 옵션 '--server <url>'에 값이 없습니다\n/);
    expect(ko('info', 'extra').err).toMatch(/^오류: 인수가 너무 많습니다 \('info'\)\. 0개를 받아야 하는데 1개를 받았습니다: extra\.\n/);
    expect(en('info', 'extra').err).toMatch(/^error: too many arguments for 'info'\. Expected 0 arguments but got 1: extra\.\n/);
    const badChoice = ko('agent', '--server', 'http://127.0.0.1:9', '--token-file', 't', '--backend', 'gpu');
    expect(badChoice.code).toBe(2);
    expect(badChoice.err).toMatch(/^오류: 옵션 '--backend <name>'의 값 'gpu'이\(가\) 올바르지 않습니다\. 가능한 값: /);
    expect(ko('serve', '--help').out).toMatch(/--port <n> +포트 \(0이면 빈 포트를 고름\) \(기본값: 7860\)/);
    expect(ko('agent', '--help').out).toMatch(/\(선택:\s+"tensorflow", /);
    expect(en('serve', '--help').out).toMatch(/--port <n> +port \(0 picks a free one\) \(default: 7860\)/);
  });

  it('refuses malformed run flags in Korean, naming the flag', () => {
    const ko = (...args: string[]) => kernellab({ KERNELLAB_LANG: 'ko' }, ...args);
    const preset = ko('train', '--preset', 'lenet-5', '--dataset', 'mnist');
    expect(preset.code).toBe(2);
    expect(preset.err).toContain("--preset: 'lenet-5'은(는) 프리셋이(가) 아닙니다; lenet5을(를) 뜻했나요? (가능한 값: lenet5, ");
    expect(ko('train', '--preset', 'lenet5').err).toContain('--dataset이 필요합니다 (mnist, fashion-mnist 또는 cifar10)');
    expect(ko('train', '--preset', 'lenet5', '--dataset', 'mnist', '--subset', '0').err).toContain(
      "--subset: '0'은(는) 양의 정수가 아닙니다",
    );
    expect(ko('sweep', '--preset', 'lenet5', '--dataset', 'mnist', '--kernel-size', '3,,5', '--dry-run').err).toContain(
      "--kernel-size: '3,,5'에 빈 값이 있습니다",
    );
    expect(ko('train', '--dataset', 'mnist').err).toContain('--preset, --model 또는 --spec이 필요합니다');
  });

  it("writes a training run's epoch line in the language set", () => {
    const values = { loss: 0.41234, accuracy: 0.9, epoch_seconds: 12.34, samples_per_sec: 3307.2 };
    setLocale('ko', { reload: false });
    expect(epochLine(2, 5, values)).toBe('에폭 2/5 - 12.3초 - loss: 0.4123 - accuracy: 0.9000 - 초당 이미지 3,307장');
    setLocale('en', { reload: false });
    expect(epochLine(2, 5, values)).toBe('Epoch 2/5 - 12.3s - loss: 0.4123 - accuracy: 0.9000 - 3,307 images/s');
  });
});
