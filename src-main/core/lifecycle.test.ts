import { describe, expect, it } from 'vitest';
import { Lifecycle, type ServicePart } from './lifecycle.ts';

function recorder() {
  const log: string[] = [];
  const part = (name: string, options: { failStart?: boolean; failStop?: boolean; stopMs?: number } = {}): ServicePart => ({
    name,
    start() {
      if (options.failStart) throw new Error(`${name} would not start`);
      log.push(`start ${name}`);
    },
    async stop() {
      if (options.stopMs) await new Promise((r) => setTimeout(r, options.stopMs));
      if (options.failStop) throw new Error(`${name} would not stop`);
      log.push(`stop ${name}`);
    },
  });
  return { log, part };
}

describe('Lifecycle', () => {
  it('starts parts in order and stops them in reverse, each stop awaited before the next', async () => {
    const { log, part } = recorder();
    const lifecycle = new Lifecycle([part('store'), part('scheduler', { stopMs: 30 }), part('transfers')]);
    lifecycle.start();
    expect(log).toEqual(['start store', 'start scheduler', 'start transfers']);
    await lifecycle.stop();
    expect(log.slice(3)).toEqual(['stop transfers', 'stop scheduler', 'stop store']);
  });

  it('stops the rest when one part fails to stop, and reports which', async () => {
    const { log, part } = recorder();
    const failures: string[] = [];
    const lifecycle = new Lifecycle([part('store'), part('scheduler', { failStop: true }), part('transfers')]);
    lifecycle.start();
    await lifecycle.stop((name, error) => failures.push(`${name}: ${(error as Error).message}`));
    expect(log.slice(3)).toEqual(['stop transfers', 'stop store']);
    expect(failures).toEqual(['scheduler: scheduler would not stop']);
  });

  it('stops what it had started when a part fails to start, and throws that error', async () => {
    const { log, part } = recorder();
    const lifecycle = new Lifecycle([part('store'), part('scheduler', { failStart: true }), part('transfers')]);
    expect(() => lifecycle.start()).toThrow('scheduler would not start');
    await lifecycle.stop();
    expect(log).toEqual(['start store', 'stop store']);
  });

  it('stops once however often it is asked, and cannot start again', async () => {
    const { log, part } = recorder();
    const lifecycle = new Lifecycle([part('store', { stopMs: 20 })]);
    lifecycle.start();
    const first = lifecycle.stop();
    expect(lifecycle.stop()).toBe(first);
    await first;
    expect(log).toEqual(['start store', 'stop store']);
    expect(() => lifecycle.start()).toThrow('the service was started already');
  });
});
