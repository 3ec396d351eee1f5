/**
 * Where downloads may come from besides the registry's home sites: a mirror set in the
 * machine's configuration (KERNELLAB_DATASET_MIRROR, `kernellab datasets download --mirror`),
 * never a URL sent by a page. A URL that came from a request would let any page make this
 * machine fetch from any host and port it likes (a port scanner: refused vs timed out), and in
 * the desktop app it would go around the renderer's Content-Security-Policy.
 *
 * A mirror is a folder, an https URL, or plain http on this machine (127.0.0.1, ::1, localhost):
 * plain http across a network lets anyone on the path serve the files (the SHA-256 check would
 * refuse them, but the request itself already went out).
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coded } from '../errors.ts';

export type Mirror = { kind: 'folder'; dir: string } | { kind: 'url'; base: string };

export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A configured mirror, checked; `from` names where it was set, for the error. */
export function parseMirror(value: string, from: string): Mirror {
  const text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { kind: 'folder', dir: isAbsolute(text) ? text : resolve(text) };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw coded('invalid_input', `${from}: '${text}' is not a URL or a folder`, 'dataset_mirror_not_url', {
      from,
      text: text.slice(0, 1000),
    });
  }
  if (url.protocol === 'file:') {
    try {
      return { kind: 'folder', dir: fileURLToPath(url) };
    } catch {
      throw coded(
        'invalid_input',
        `${from}: '${text}' is not a file URL of this machine; give the folder's path`,
        'dataset_mirror_not_local_file',
        {
          from,
          text: text.slice(0, 1000),
        },
      );
    }
  }
  if (url.protocol === 'https:') return { kind: 'url', base: url.href };
  if (url.protocol === 'http:') {
    if (isLoopbackHostname(url.hostname)) return { kind: 'url', base: url.href };
    const https = `https://${url.host}${url.pathname}`;
    throw coded(
      'invalid_input',
      `${from}: plain http is allowed only on this machine (127.0.0.1, ::1, localhost); use ${https} or a folder`,
      'dataset_mirror_http_remote',
      { from, https: https.slice(0, 1000) },
    );
  }
  throw coded(
    'invalid_input',
    `${from}: ${url.protocol} URLs are not supported; use a folder, https:// or http://127.0.0.1`,
    'dataset_mirror_scheme',
    {
      from,
      protocol: url.protocol.slice(0, 100),
    },
  );
}

/**
 * Whether a download may follow a redirect from `from` to `to`: http(s) only, and never from
 * https down to plain http off this machine.
 */
export function redirectAllowed(from: string, to: string): boolean {
  const target = new URL(to);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  if (new URL(from).protocol === 'https:' && target.protocol === 'http:') return isLoopbackHostname(target.hostname);
  return true;
}
