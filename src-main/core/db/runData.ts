/**
 * What a run records as it trains and afterwards: metric batches (the one metric write path),
 * checkpoints, evaluations, tags and notes. Functions over the store's private context
 * (storeContext.ts); RunStore's methods of the same names call them.
 */
import { z } from 'zod';
import { coded, invalidInput } from '../errors.ts';
import { encodeMetricValue, MetricKey } from '../contract/index.ts';
import type { MetricRow } from './metricWrite.ts';
import { requireRun } from './runRecords.ts';
import type { Fence, StoreContext } from './storeContext.ts';
import { MetricBatch, NewCheckpoint, NewEvaluation, type MetricPointInput } from './storeInputs.ts';

/**
 * Writes metric points in ONE transaction with the latest_metrics summaries. The whole batch is
 * validated first (schema, then that every run exists); a bad item rejects the batch unwritten.
 * A point at an existing (run, key, step) replaces it.
 */
export function logBatch(ctx: StoreContext, items: readonly MetricPointInput[], fence?: Fence): { written: number } {
  const parsed = MetricBatch.safeParse(items);
  if (!parsed.success) throw invalidInput('metric batch', parsed.error);
  const points = parsed.data;
  if (points.length === 0) return { written: 0 };
  const keys = new Set<string>();
  for (const [index, p] of points.entries()) {
    if (keys.has(p.key)) continue;
    const checked = MetricKey.safeParse(p.key);
    if (!checked.success)
      throw invalidInput('metric batch', new z.ZodError(checked.error.issues.map((i) => ({ ...i, path: [index, 'key', ...i.path] }))));
    keys.add(p.key);
  }
  const now = Date.now();

  const runIds = [...new Set(points.map((p) => p.runId))];
  for (const runId of runIds) {
    if (!ctx.stmt.runExists.get(runId)) {
      const index = points.findIndex((p) => p.runId === runId);
      throw coded(
        'not_found',
        `Invalid metric batch: ${index}.runId: run ${runId} does not exist`,
        'error_metric_batch_no_run',
        { index, id: runId },
        [`${index}.runId: run ${runId} does not exist`],
      );
    }
  }
  const rows: MetricRow[] = points.map((p) => ({ ...p, wallMs: Math.round(p.wallMs ?? now) }));
  ctx.write(`writing ${points.length} metric points`, () => {
    ctx.fence(fence, `writing ${points.length} metric points`);
    ctx.writeMetrics(rows);
    for (const runId of runIds) ctx.stmt.touchLease.run(now + ctx.leaseMs, runId);
  });

  if (ctx.events) {
    const byRun = new Map<
      number,
      { key: string; step: number; epoch: number; wallMs: number; value: ReturnType<typeof encodeMetricValue> }[]
    >();
    for (const p of rows) {
      let list = byRun.get(p.runId);
      if (!list) byRun.set(p.runId, (list = []));
      list.push({ key: p.key, step: p.step, epoch: p.epoch, wallMs: p.wallMs, value: encodeMetricValue(p.value) });
    }
    for (const [runId, list] of byRun) ctx.events.emit('metrics.appended', { runId, points: list });
  }
  return { written: points.length };
}

export function addCheckpoint(ctx: StoreContext, runId: number, checkpoint: NewCheckpoint, fence?: Fence): number {
  const parsed = NewCheckpoint.safeParse(checkpoint);
  if (!parsed.success) throw invalidInput('checkpoint', parsed.error);
  const c = parsed.data;
  return ctx.write('recording a checkpoint', () => {
    requireRun(ctx, runId);
    ctx.fence(fence, `recording the epoch-${c.epoch} checkpoint`);
    // A weight snapshot is written again when its epoch is trained again (a run resumed from the
    // checkpoint before it): the folder was replaced, so its row is too.
    if (c.kind === 'epoch') ctx.stmt.deleteSnapshotRow.run(runId, c.epoch, c.path);
    return Number(
      ctx.stmt.insertCheckpoint.run(runId, c.epoch, c.kind, c.path, c.bytes, c.sha256, c.metric, c.value, Date.now()).lastInsertRowid,
    );
  });
}

/** Records (or replaces) the evaluation of a run on one split. */
export function addEvaluation(ctx: StoreContext, runId: number, evaluation: NewEvaluation, fence?: Fence): void {
  const parsed = NewEvaluation.safeParse(evaluation);
  if (!parsed.success) throw invalidInput('evaluation', parsed.error);
  const e = parsed.data;
  ctx.write('recording an evaluation', () => {
    requireRun(ctx, runId);
    ctx.fence(fence, `recording the ${e.split} evaluation`);
    ctx.stmt.upsertEvaluation.run(
      runId,
      e.split,
      e.loss,
      e.accuracy,
      JSON.stringify(e.confusion),
      JSON.stringify(e.perClass),
      JSON.stringify(e.mostWrong),
      Date.now(),
    );
  });
}

export function setTags(ctx: StoreContext, runId: number, tags: readonly string[]): string[] {
  const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))].sort();
  ctx.write('setting tags', () => {
    requireRun(ctx, runId);
    ctx.db.prepare('DELETE FROM tags WHERE run_id = ?').run(runId);
    const insert = ctx.db.prepare('INSERT INTO tags (run_id, tag) VALUES (?, ?)');
    for (const tag of unique) insert.run(runId, tag);
  });
  ctx.emitRun(runId);
  return unique;
}

export function setNote(ctx: StoreContext, runId: number, body: string): string {
  ctx.write('saving a note', () => {
    requireRun(ctx, runId);
    if (body.trim() === '') ctx.db.prepare('DELETE FROM notes WHERE run_id = ?').run(runId);
    else
      ctx.db
        .prepare(
          'INSERT INTO notes (run_id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
        )
        .run(runId, body, Date.now());
  });
  ctx.emitRun(runId);
  return body.trim() === '' ? '' : body;
}
