/**
 * `GET /api/export/runs?runs=1,2` (or `sweep=N`, or `experiment=N`; `format=json|csv|metrics-csv`,
 * json by default): the export as a download, the same bytes as `runs.export`'s `content` but
 * written as it is read (core/db/exportWrite.ts), so an export of 100,000 runs is never one string
 * in the server and a slow client holds a part or two, not the whole file (issue 12). A plain link
 * can fetch it in browser mode, the way a file is downloaded, with the session cookie.
 */
import type { ServerResponse } from 'node:http';
import { coreText } from '../core/contract/coreText.ts';
import { methods, type MethodInput } from '../core/contract/index.ts';
import { invalidInput, KernelLabError } from '../core/errors.ts';
import { writeExport, type Service } from '../core/service.ts';

/** The query names the route reads; `token` is the serve token, read before this. */
const selectionNames = { runs: 'runIds', sweep: 'sweepId', experiment: 'experimentId' } as const;
const known = new Set(['runs', 'sweep', 'experiment', 'format', 'token']);

const tooMany = () =>
  new KernelLabError(
    'invalid_input',
    'Invalid input for runs.export: runs: at most 10,000 ids (export a sweep or an experiment for more)',
    ['runs: at most 10,000 ids'],
  );

/** The route's query as runs.export's input, checked by the same schema (the fields named as runs.export names them). */
export function exportQuery(query: URLSearchParams): MethodInput<'runs.export'> {
  for (const name of new Set(query.keys())) {
    if (!known.has(name))
      throw new KernelLabError(
        'invalid_input',
        `Unknown export query parameter '${name.slice(0, 40)}': use runs, sweep, experiment or format`,
      );
    if (query.getAll(name).length > 1)
      throw new KernelLabError('invalid_input', `Export query parameter '${name.slice(0, 40)}' is given more than once`);
  }
  const selection: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(selectionNames)) {
    const value = query.get(name);
    if (value === null) continue;
    const texts = name === 'runs' ? value.split(',', 10_001) : [value];
    if (texts.length > 10_000) throw tooMany();
    // The union's own error would not say which id is bad: the query's name and position do.
    texts.forEach((text, i) => {
      if (!/^[1-9]\d{0,15}$/.test(text)) {
        const where = name === 'runs' ? `runs.${i}` : name;
        throw new KernelLabError(
          'invalid_input',
          `Invalid input for runs.export: ${where}: expected a run, sweep or experiment id (a positive whole number), got '${text.slice(0, 40)}'`,
          [`${where}: expected a positive whole number`],
        );
      }
    });
    selection[field] = name === 'runs' ? texts.map(Number) : Number(value);
  }
  const input = methods['runs.export'].input.safeParse({ selection, ...(query.has('format') && { format: query.get('format') }) });
  if (!input.success)
    throw invalidInput('input for runs.export', input.error, coreText('error_invalid_method_input', { method: 'runs.export' }));
  return input.data;
}

/** Answers the download: headers once the selection is known to exist, then the export a part at a time. */
export async function exportDownload(
  res: ServerResponse,
  query: URLSearchParams,
  service: Service,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const { selection, format } = exportQuery(query);
  const stream = service.context.store.exportStream(selection, format);
  res.writeHead(200, {
    ...headers,
    'Content-Type': `${stream.mediaType}; charset=utf-8`,
    // The name is ours (run-1.json, sweep-3-metrics.csv): ASCII, no quotes.
    'Content-Disposition': `attachment; filename="${stream.filename}"`,
    'Cache-Control': 'no-store',
  });
  await writeExport(stream, res, { signal });
}
