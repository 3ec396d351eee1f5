// A GPU Worker that takes the run and never answers, as one whose training step hangs on a GPU that stopped answering (gpuHost.browser.spec.ts).
(globalThis as unknown as { addEventListener(type: 'message', listener: () => void): void }).addEventListener('message', () => undefined);
