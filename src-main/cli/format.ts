import type { AppInfo } from '../core/contract/index.ts';

export function formatInfo(info: AppInfo): string {
  const lines = [
    `KernelLab ${info.appVersion}`,
    `  data folder   ${info.dataDir}`,
    `  node          ${info.nodeVersion}${info.electronVersion ? `, electron ${info.electronVersion}` : ''}`,
    `  tfjs          ${info.tfjsVersion}`,
    `  platform      ${info.platform}, ${info.cpus} CPUs`,
    `  backends`,
    ...info.backends.map((b) => `    ${b.available ? '✓' : '✗'} ${b.name.padEnd(11)} ${b.detail}`),
    `  runs use      ${info.chosenBackend ?? 'no backend loads on this machine'}`,
  ];
  return lines.join('\n');
}
