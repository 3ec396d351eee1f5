/**
 * Which names this server answers to, and the URLs it prints: the one place that knows what the
 * bind address means. Loopback binds answer to 127.0.0.1, localhost and [::1]. A specific
 * address answers to itself too. A wildcard bind (0.0.0.0, ::) answers to every address the
 * machine has now (interfaces come and go: a VPN, a new DHCP lease) and to its host name; names
 * a DNS server gives the machine are added with `allowedHostNames` (`serve --allow-host`).
 * Anything else in `Host` or `Origin` is refused: a page on another site that rebinds its own
 * name to this machine's address still sends its own name (DNS rebinding).
 *
 * `exposed` says whether the server can be reached from other machines: the server refuses to be
 * exposed without TLS (`secure`: https URLs and origins).
 */
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIPv6 } from 'node:net';

export interface HostPolicy {
  /** True when other machines can reach the server (not bound to loopback). */
  readonly exposed: boolean;
  /** Whether a `Host` header (`name:port`, `[v6]:port`) names this server. */
  acceptsHost(header: string | undefined): boolean;
  /** Whether an `Origin` header is a page of this server. */
  acceptsOrigin(origin: string): boolean;
  /** URLs a person can open, the most useful first: from another machine when exposed, then this one. */
  urls(): string[];
}

export interface HostPolicyOptions {
  /** Extra host names the server answers to (a DNS name of the machine). */
  allowedHostNames?: readonly string[];
  /** The machine's interfaces; os.networkInterfaces by default (tests pass their own). */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** The machine's name; os.hostname by default. */
  machineName?: () => string;
  /** Served over TLS: URLs and page origins are https. */
  secure?: boolean;
}

const unbracket = (host: string) => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();

export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host);
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

export function isWildcardHost(host: string): boolean {
  const h = unbracket(host);
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** `name` as it appears in a URL or a Host header: IPv6 addresses in brackets. */
const urlHost = (name: string) => (isIPv6(name) ? `[${name}]` : name);

/** Addresses of this machine another machine can use; link-local IPv6 needs a zone a URL cannot carry. */
function machineAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, withIPv6: boolean): { address: string; internal: boolean }[] {
  const out: { address: string; internal: boolean }[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.family === 'IPv6' && (!withIPv6 || info.address.toLowerCase().startsWith('fe80:'))) continue;
      out.push({ address: info.address.toLowerCase(), internal: info.internal });
    }
  }
  return out;
}

export function hostPolicy(bindHost: string, port: number, options: HostPolicyOptions = {}): HostPolicy {
  const readInterfaces = options.interfaces ?? networkInterfaces;
  const machineName = options.machineName ?? hostname;
  const bind = unbracket(bindHost);
  const wildcard = isWildcardHost(bind);
  const exposed = !isLoopbackHost(bind);
  const scheme = options.secure ? 'https:' : 'http:';
  // `::` on Linux and macOS takes IPv4 connections too; `0.0.0.0` takes IPv4 only.
  const withIPv6 = bind === '::' || isIPv6(bind);
  const fixed = new Set(['127.0.0.1', 'localhost', '::1', ...(options.allowedHostNames ?? []).map(unbracket)]);
  if (!wildcard) fixed.add(bind);

  let known = new Set<string>();
  let readAt = -Infinity;
  const refresh = () => {
    readAt = Date.now();
    known = new Set(machineAddresses(readInterfaces(), withIPv6).map((a) => a.address));
    const name = machineName().toLowerCase();
    if (name) known.add(name);
  };

  const acceptsName = (name: string): boolean => {
    if (fixed.has(name)) return true;
    if (!wildcard) return false;
    if (known.has(name)) return true;
    // An address that appeared since the last look (read again at most once a second).
    if (Date.now() - readAt < 1000) return false;
    refresh();
    return known.has(name);
  };

  const acceptsHost = (header: string | undefined): boolean => {
    if (!header) return false;
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(header.trim());
    if (!match) return false;
    const headerPort = match[2] === undefined ? (options.secure ? 443 : 80) : Number(match[2]);
    return headerPort === port && acceptsName(unbracket(match[1]!));
  };

  return {
    exposed,
    acceptsHost,
    acceptsOrigin(origin) {
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      return url.protocol === scheme && url.pathname === '/' && acceptsHost(url.host);
    },
    urls() {
      const at = (name: string) => `${scheme}//${urlHost(name)}:${port}/`;
      if (!wildcard) return [at(bind)];
      const outside = machineAddresses(readInterfaces(), withIPv6).filter((a) => !a.internal);
      return [...outside.map((a) => at(a.address)), at('127.0.0.1')];
    },
  };
}
