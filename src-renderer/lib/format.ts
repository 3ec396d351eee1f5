import { getLocale } from '../../i18n/paraglide/runtime.js';
import { m } from '../../i18n/paraglide/messages.js';
import { elapsedText } from './coreText.ts';

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

/** A measured time in the page's words (850 ms, 16.6 s, 3 min 10 s; Korean 16.6초, 3분 10초), the CLI's formatter too; '—' for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return elapsedText(ms);
}

/** Counts with the locale's grouping (1,234,567 in English and Korean alike, but through Intl). */
export function formatCount(n: number, locale: string = getLocale()): string {
  return numberFormat(locale).format(n);
}

/** A confusion-matrix cell's share of its true class (`25.0% of true cat`), in the locale's words and digits. */
export function shareOfTrueClass(count: number, total: number, label: string, locale: 'en' | 'ko' = getLocale()): string {
  const share = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    count / total,
  );
  return m.run_confusion_share({ share, label }, { locale });
}

const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string): Intl.NumberFormat {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(locale)));
  return f;
}

type DateStyle = 'full' | 'day' | 'monthDay';
const dateOptions: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  full: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  monthDay: { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
};
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, style: DateStyle): Intl.DateTimeFormat {
  const key = `${locale} ${style}`;
  let f = dateFormats.get(key);
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(locale, dateOptions[style])));
  return f;
}

/** A date and time in the locale's order (en 11/30/2026, 21:05 · ko 2026. 11. 30. 21:05), 24-hour. */
export function formatTime(epochMs: number | null | undefined, locale: string = getLocale()): string {
  if (!epochMs) return '—';
  return dateFormat(locale, 'full').format(epochMs);
}

/** A time within the current year without the year (en 11/20, 15:03), else the date alone. */
export function formatShortTime(epochMs: number | null | undefined, now: number = Date.now(), locale: string = getLocale()): string {
  if (!epochMs) return '—';
  const thisYear = new Date(epochMs).getFullYear() === new Date(now).getFullYear();
  return dateFormat(locale, thisYear ? 'monthDay' : 'day').format(epochMs);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A receptive field as the model tables show it: `16×16` with its jump and start in the title. */
export function formatField(field: { size: number; jump: number; start: number } | null | undefined): { text: string; title: string } {
  if (!field) return { text: m.format_field_whole(), title: m.format_field_whole_title() };
  return {
    text: `${field.size}×${field.size}`,
    title: m.format_field_title({ size: field.size, jump: field.jump, start: field.start }),
  };
}
