import { existsSync } from 'node:fs';

/**
 * Debian's Chromium, not Playwright's own download (impossible on machines without internet
 * access); PLAYWRIGHT_CHROMIUM overrides the path. Used by playwright.config.ts and the UI bench.
 */
export const chromiumPath: string | undefined =
  process.env.PLAYWRIGHT_CHROMIUM ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * For the GPU host specs: WebGPU needs the GPU process (no --disable-gpu) and, on Linux,
 * --enable-unsafe-webgpu. Without a usable GPU Chromium falls back to SwiftShader, a software
 * adapter (isFallbackAdapter true): right numbers, no GPU speed.
 */
export const gpuChromiumArgs = [...chromiumArgs.filter((arg) => arg !== '--disable-gpu'), '--enable-unsafe-webgpu'];
