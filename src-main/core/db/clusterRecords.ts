/**
 * Saved cluster profiles and the cluster jobs submitted for sweeps (issue 15). RunStore builds
 * one over its private handle (`store.clusters`); SQL lives only here. Settings are JSON checked
 * with the contract's schemas on the way in and out.
 */
import { ClusterProfile, type ClusterJob } from '../contract/clusters.ts';
import type { CoreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';
import { storedText, textColumn } from './records.ts';
import type { SqliteDatabase } from './database.ts';

type Write = <T>(doing: string, fn: () => T) => T;
type Read = <T>(doing: string, fn: () => T) => T;

interface JobRow {
  id: number;
  sweep_id: number;
  kind: 'slurm' | 'kubernetes';
  settings: string;
  job_id: string;
  tasks: number;
  file_path: string;
  token_id: number | null;
  submitted_at: number;
  state: ClusterJob['state'];
  state_detail: string;
  state_detail_code: string | null;
  state_at: number;
  ended_at: number | null;
}

export interface ClusterJobRecord extends ClusterJob {
  settings: unknown;
  tokenId: number | null;
}

const jobOf = (row: JobRow): ClusterJobRecord => ({
  id: row.id,
  sweepId: row.sweep_id,
  kind: row.kind,
  jobId: row.job_id,
  tasks: row.tasks,
  file: row.file_path,
  submittedAt: row.submitted_at,
  state: row.state,
  detail: row.state_detail,
  detailCode: storedText(row.state_detail_code),
  stateAt: row.state_at,
  endedAt: row.ended_at,
  settings: JSON.parse(row.settings) as unknown,
  tokenId: row.token_id,
});

export class ClusterRecords {
  readonly #db: SqliteDatabase;
  readonly #write: Write;
  readonly #read: Read;

  constructor(db: SqliteDatabase, write: Write, read: Read) {
    this.#db = db;
    this.#write = write;
    this.#read = read;
  }

  profiles(): ClusterProfile[] {
    const rows = this.#read(
      'reading cluster profiles',
      () =>
        this.#db.prepare('SELECT name, kind, settings FROM cluster_profiles ORDER BY name').all() as {
          name: string;
          kind: string;
          settings: string;
        }[],
    );
    // A profile saved by another version that no longer parses is skipped, not fatal.
    return rows.flatMap((row) => {
      const parsed = ClusterProfile.safeParse({ name: row.name, kind: row.kind, settings: JSON.parse(row.settings) as unknown });
      return parsed.success ? [parsed.data] : [];
    });
  }

  profile(name: string): ClusterProfile {
    const found = this.profiles().find((p) => p.name === name);
    if (!found)
      throw coded(
        'not_found',
        `No cluster profile named '${name}'; save one first (clusters.saveProfile)`,
        'error_cluster_profile_missing',
        {
          name,
        },
      );
    return found;
  }

  saveProfile(profile: ClusterProfile): void {
    this.#write('saving a cluster profile', () =>
      this.#db
        .prepare(
          `INSERT INTO cluster_profiles (name, kind, settings, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, settings = excluded.settings, updated_at = excluded.updated_at`,
        )
        .run(profile.name, profile.kind, JSON.stringify(profile.settings), Date.now()),
    );
  }

  deleteProfile(name: string): boolean {
    return this.#write(
      'deleting a cluster profile',
      () => this.#db.prepare('DELETE FROM cluster_profiles WHERE name = ?').run(name).changes === 1,
    );
  }

  addJob(job: {
    sweepId: number;
    kind: 'slurm' | 'kubernetes';
    settings: unknown;
    jobId: string;
    tasks: number;
    file: string;
    tokenId: number;
    state: ClusterJob['state'];
    detail: string;
    detailText: CoreText | null;
  }): ClusterJobRecord {
    const id = this.#write('recording a cluster job', () => {
      const now = Date.now();
      return Number(
        this.#db
          .prepare(
            `INSERT INTO cluster_jobs (sweep_id, kind, settings, job_id, tasks, file_path, token_id, submitted_at, state, state_detail, state_detail_code, state_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            job.sweepId,
            job.kind,
            JSON.stringify(job.settings),
            job.jobId,
            job.tasks,
            job.file,
            job.tokenId,
            now,
            job.state,
            job.detail,
            textColumn(job.detailText),
            now,
          ).lastInsertRowid,
      );
    });
    return this.job(id)!;
  }

  job(id: number): ClusterJobRecord | undefined {
    const row = this.#read(
      'reading a cluster job',
      () => this.#db.prepare('SELECT * FROM cluster_jobs WHERE id = ?').get(id) as JobRow | undefined,
    );
    return row && jobOf(row);
  }

  jobs(filter: { sweepId?: number | undefined; open?: boolean } = {}): ClusterJobRecord[] {
    return this.#read('reading cluster jobs', () =>
      (
        this.#db
          .prepare(
            `SELECT * FROM cluster_jobs WHERE (@sweep IS NULL OR sweep_id = @sweep) AND (@open = 0 OR ended_at IS NULL)
             ORDER BY id`,
          )
          .all({ sweep: filter.sweepId ?? null, open: filter.open ? 1 : 0 }) as JobRow[]
      ).map(jobOf),
    );
  }

  /** Records the state the cluster reports; returns true when it changed. `ended` closes the job for polling. */
  setJobState(id: number, state: ClusterJob['state'], detail: string, ended: boolean, detailText: CoreText | null = null): boolean {
    return this.#write('recording a cluster job state', () => {
      const now = Date.now();
      return (
        this.#db
          .prepare(
            `UPDATE cluster_jobs SET state = @state, state_detail = @detail, state_detail_code = @detailCode, state_at = @now,
               ended_at = CASE WHEN @ended THEN coalesce(ended_at, @now) ELSE ended_at END
             WHERE id = @id AND (state != @state OR state_detail != @detail OR (@ended AND ended_at IS NULL))`,
          )
          .run({ id, state, detail, detailCode: textColumn(detailText), now, ended: ended ? 1 : 0 }).changes === 1
      );
    });
  }
}
