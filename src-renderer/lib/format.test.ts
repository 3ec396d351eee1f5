import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { formatCount, formatDuration, formatField, formatShortTime, formatTime, shareOfTrueClass } from './format.ts';
import { throughputText } from './runCharts.ts';

describe('numbers and dates in the reader’s language', () => {
  afterEach(() => setLocale('en', { reload: false }));

  it('writes dates in each locale’s order, 24-hour', () => {
    const t = new Date(2026, 10, 20, 15, 3).getTime();
    expect(formatTime(t, 'en')).toBe('11/20/2026, 15:03');
    expect(formatTime(t, 'ko')).toBe('2026. 11. 20. 15:03');
  });

  it('shows creation times of this year without the year', () => {
    const now = new Date(2026, 10, 30, 12).getTime();
    expect(formatShortTime(new Date(2026, 10, 20, 15, 3).getTime(), now, 'en')).toBe('11/20, 15:03');
    expect(formatShortTime(new Date(2026, 10, 20, 15, 3).getTime(), now, 'ko')).toBe('11. 20. 15:03');
    expect(formatShortTime(new Date(2025, 0, 2, 9, 0).getTime(), now, 'en')).toBe('01/02/2025');
    expect(formatShortTime(new Date(2025, 0, 2, 9, 0).getTime(), now, 'ko')).toBe('2025. 01. 02.');
  });

  it("words a confusion-matrix cell's share of its true class in the reader's language", () => {
    expect(shareOfTrueClass(1, 4, 'cat', 'en')).toBe('25.0% of true cat');
    expect(shareOfTrueClass(1, 4, 'cat', 'ko')).toBe('실제 cat 중 25.0%');
    expect(shareOfTrueClass(2, 3, '7', 'ko')).toBe('실제 7 중 66.7%');
  });

  it("says a run's time in the reader's words, the English as it always was", () => {
    const times = [null, 0, 850, 16_600, 59_000, 190_000, 7_500_000];
    setLocale('en', { reload: false });
    expect(times.map(formatDuration)).toEqual(['—', '0 ms', '850 ms', '16.6 s', '59.0 s', '3 min 10 s', '2 h 5 min']);
    setLocale('ko', { reload: false });
    expect(times.map(formatDuration)).toEqual(['—', '0 ms', '850 ms', '16.6초', '59.0초', '3분 10초', '2시간 5분']);
    // A time just short of a whole minute is that minute, never "1 min 60 s".
    expect(formatDuration(119_600)).toBe('2분 0초');
    expect(formatDuration(59_970)).toBe('1분 0초');
  });

  it('follows the chosen locale when none is passed', () => {
    setLocale('ko', { reload: false });
    expect(formatTime(new Date(2026, 0, 2, 3, 4).getTime())).toBe('2026. 01. 02. 03:04');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(throughputText(null, 3307.4)).toBe('초당 이미지 3,307장');
    expect(formatField(null).text).toBe('이미지 전체');
    expect(formatField({ size: 5, jump: 2, start: 2.5 }).title).toContain('5×5');
    setLocale('en', { reload: false });
    expect(throughputText(null, 3307.4)).toBe('3,307 images/s');
    expect(formatField(null).text).toBe('whole image');
  });
});
