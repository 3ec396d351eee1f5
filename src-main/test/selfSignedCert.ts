import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test support: a self-signed certificate for localhost and 127.0.0.1 (and any extra names), made
 * with the openssl command line; undefined when openssl is not installed (the caller skips, saying so).
 */
export function selfSignedCert(
  dir: string,
  names: readonly string[] = [],
): { cert: Buffer; key: Buffer; certFile: string; keyFile: string } | undefined {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const san = ['DNS:localhost', 'IP:127.0.0.1', ...names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`))].join(',');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) return undefined;
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}
