/** The `agent_tokens` and `agents` rows as SQLite returns them, and what the contract makes of them (agentRegistry.ts). */
import { byeReasonText, type AgentInfo, type AgentToken } from '../contract/agents.ts';

export interface TokenRow {
  id: number;
  sweep_id: number | null;
  label: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AgentRow {
  id: string;
  token_id: number;
  sweep_id: number | null;
  host: string;
  job: string;
  version: string;
  backends: string;
  max_runs: number | null;
  runs_claimed: number;
  first_seen_at: number;
  last_seen_at: number;
  ended_at: number | null;
  end_reason: string | null;
  run_id: number | null;
}

export const tokenOf = (row: TokenRow): AgentToken => ({
  id: row.id,
  sweepId: row.sweep_id,
  label: row.label,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

/** An agent row as list() shows it: `silent` once unheard for a lease, `gone` once it said bye. */
export const agentInfoOf = (row: AgentRow, now: number, leaseMs: number): AgentInfo => ({
  id: row.id,
  sweepId: row.sweep_id,
  host: row.host,
  job: row.job,
  version: row.version,
  backends: JSON.parse(row.backends) as string[],
  maxRuns: row.max_runs,
  runsClaimed: row.runs_claimed,
  firstSeenAt: row.first_seen_at,
  lastSeenAt: row.last_seen_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  endReasonCode: byeReasonText(row.end_reason),
  runId: row.run_id,
  state: row.ended_at !== null ? 'gone' : now - row.last_seen_at > leaseMs ? 'silent' : 'active',
});
