import type { NetworkInterfaceInfo } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { hostPolicy } from './hostPolicy.ts';

const iface = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, internal, family: address.includes(':') ? 'IPv6' : 'IPv4', netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;

describe('hostPolicy', () => {
  it('on loopback answers to the loopback names only and prints the bound address', () => {
    const policy = hostPolicy('127.0.0.1', 7860, { interfaces: () => ({ eth0: [iface('10.0.0.5')] }), machineName: () => 'gpubox' });
    expect(policy.exposed).toBe(false);
    expect(policy.urls()).toEqual(['http://127.0.0.1:7860/']);
    for (const host of ['127.0.0.1:7860', 'localhost:7860', '[::1]:7860', 'LOCALHOST:7860'])
      expect(policy.acceptsHost(host), host).toBe(true);
    for (const host of ['10.0.0.5:7860', 'gpubox:7860', '127.0.0.1:7861', '127.0.0.1', 'localhost.evil.example:7860', '', undefined])
      expect(policy.acceptsHost(host), String(host)).toBe(false);
  });

  it("on 0.0.0.0 answers to the machine's addresses and name, including one that appears later", () => {
    let interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = { lo: [iface('127.0.0.1', true)], eth0: [iface('10.0.0.5'), iface('fe80::1')] };
    const policy = hostPolicy('0.0.0.0', 7860, { interfaces: () => interfaces, machineName: () => 'GPUBox' });
    expect(policy.exposed).toBe(true);
    expect(policy.urls()).toEqual(['http://10.0.0.5:7860/', 'http://127.0.0.1:7860/']);
    expect(policy.acceptsHost('10.0.0.5:7860')).toBe(true);
    expect(policy.acceptsHost('gpubox:7860')).toBe(true);
    expect(policy.acceptsHost('0.0.0.0:7860')).toBe(false);
    expect(policy.acceptsHost('10.0.0.6:7860')).toBe(false);
    interfaces = { ...interfaces, tun0: [iface('10.8.0.2')] };
    // Read again at most once a second.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(policy.acceptsHost('10.8.0.2:7860')).toBe(false);
      vi.setSystemTime(Date.now() + 1100);
      expect(policy.acceptsHost('10.8.0.2:7860')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(policy.acceptsOrigin('http://10.8.0.2:7860')).toBe(true);
    expect(policy.acceptsOrigin('http://evil.example:7860')).toBe(false);
    expect(policy.acceptsOrigin('null')).toBe(false);
  });

  it('on :: takes IPv6 addresses too, in brackets, and names given with --allow-host', () => {
    const policy = hostPolicy('::', 80, {
      interfaces: () => ({ eth0: [iface('10.0.0.5'), iface('2001:db8::5')] }),
      machineName: () => 'gpubox',
      allowedHostNames: ['gpu.lab.example'],
    });
    expect(policy.urls()).toEqual(['http://10.0.0.5:80/', 'http://[2001:db8::5]:80/', 'http://127.0.0.1:80/']);
    expect(policy.acceptsHost('[2001:db8::5]')).toBe(true);
    expect(policy.acceptsHost('gpu.lab.example')).toBe(true);
    expect(policy.acceptsOrigin('http://gpu.lab.example')).toBe(true);
    expect(policy.acceptsHost('2001:db8::5')).toBe(false);
  });

  it('refuses every Host that is not one of its names (property)', () => {
    const policy = hostPolicy('0.0.0.0', 7860, { interfaces: () => ({ eth0: [iface('10.0.0.5')] }), machineName: () => 'gpubox' });
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (host) => {
        const name = host.replace(/:\d+$/, '').toLowerCase();
        fc.pre(!['127.0.0.1', 'localhost', '[::1]', '10.0.0.5', 'gpubox'].includes(name));
        expect(policy.acceptsHost(host)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
