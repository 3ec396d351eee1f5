/**
 * Metric values cross the wire as numbers or the strings 'NaN', 'Infinity', '-Infinity' (JSON
 * has no NaN). The renderer cannot import the contract's decoder (types only), so it has its own.
 */
export type WireMetric = number | 'NaN' | 'Infinity' | '-Infinity';

export function decodeMetric(value: WireMetric | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

export function formatMetric(value: number | null | undefined, key = ''): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  // Memory in bytes reads as MiB (rss_bytes 734003200 → 700.0 MiB).
  if (/bytes$/i.test(key)) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (/acc|precision|recall|f1/i.test(key) && value >= 0 && value <= 1) return value.toFixed(4);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** A standard deviation as the cell text shows it: three decimals are enough to compare spreads. */
export function formatSpread(value: number): string {
  return value < 0.0005 ? '±<0.001' : `±${value < 10 ? value.toFixed(3) : value.toPrecision(3)}`;
}

export function formatParam(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatTime(epochMs: number | null | undefined): string {
  if (!epochMs) return '—';
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A time within the current year without the year (`11-20 15:03`), else the full date. */
export function formatShortTime(epochMs: number | null | undefined, now: number = Date.now()): string {
  if (!epochMs) return '—';
  const full = formatTime(epochMs);
  return new Date(epochMs).getFullYear() === new Date(now).getFullYear() ? full.slice(5) : full.slice(0, 10);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A receptive field as the model tables show it: `16×16` with its jump and start in the title. */
export function formatField(field: { size: number; jump: number; start: number } | null | undefined): { text: string; title: string } {
  if (!field) return { text: 'whole image', title: 'a flat unit sees every input pixel' };
  return {
    text: `${field.size}×${field.size}`,
    title: `each unit sees ${field.size}×${field.size} input pixels; neighbouring units are ${field.jump} px apart; the first unit's field is centred at ${field.start}`,
  };
}
