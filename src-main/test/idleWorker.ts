// Child-process fixture for workerHost.test.ts: says it is ready, then idles until killed.
process.send?.({ ready: true });
setInterval(() => {}, 60_000);
