// A GPU Worker that dies before it answers (gpuHost.browser.spec.ts): the host must fail that run and start the next one afresh.
throw new Error('the GPU process is gone (simulated by the test)');
