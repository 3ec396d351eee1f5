/** One measured figure. `target` is the goal as text (e.g. '≥ 2000'); never a made-up value. */
export interface BenchResult {
  name: string;
  value: number | null;
  unit: string;
  target?: string;
  note?: string;
}

export interface BenchContext {
  /** Rows measured earlier in this run, so later benches can report ratios to them. */
  previous: BenchResult[];
  /** KERNELLAB_BENCH_QUICK=1: smaller workloads for a smoke run; figures are marked as such. */
  quick: boolean;
}

export type BenchModule = { run(context: BenchContext): Promise<BenchResult[]> };

export function formatTable(rows: BenchResult[]): string {
  const cells = rows.map((r) => [r.name, r.value === null ? 'absent' : formatNumber(r.value), r.unit, r.target ?? '', r.note ?? '']);
  const header = ['benchmark', 'value', 'unit', 'target', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function formatMarkdown(rows: BenchResult[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| benchmark | value | unit | target | note |',
    '| --- | ---: | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${escape(r.name)} | ${r.value === null ? 'absent' : formatNumber(r.value)} | ${r.unit} | ${escape(r.target ?? '')} | ${escape(r.note ?? '')} |`,
    ),
  ].join('\n');
}
