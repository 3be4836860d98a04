import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { isMissingTable } from '../auth/store_errors'
import type { Durability, RunCommand, StreamMode } from '../contracts/agent_run'
import type { Principal } from '../contracts/request_context'
import { E_INVALID_INPUT, E_NOT_MIGRATED } from '../errors'
import { checkRunId } from './queue_options'

export const RUN_STATUSES = ['pending', 'running', 'success', 'error', 'timeout', 'interrupted', 'cancelled'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
/** Statuses a run never leaves on its own (queue:retry moves error and timeout back to pending). */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['success', 'error', 'timeout', 'interrupted', 'cancelled']

/** How a run stops when it is cancelled: where it got to (`interrupt`), or its thread taken back to where it started (`rollback`). */
export type CancelAction = 'interrupt' | 'rollback'

/** How a background run runs, beyond its input. */
export interface RunExecution {
  /** What its event stream carries (default: values). */
  streamModes?: StreamMode[]
  /** Events of subgraphs too. */
  subgraphs?: boolean
  /** Continue the thread with this command instead of running the input. */
  command?: RunCommand
  interruptBefore?: string[] | '*'
  interruptAfter?: string[] | '*'
  durability?: Durability
  /** The run's thread is a stored thread of the LangGraph API: held while the run runs, its values and status recorded after. */
  storedThread?: boolean
  /** The stored thread is deleted once the run ends (`on_completion: "delete"`). */
  deleteThread?: boolean
  /** The LangGraph API's multitask strategy it was created with, as it reports it. */
  multitaskStrategy?: 'reject' | 'interrupt' | 'rollback' | 'enqueue'
}

/** One row of the `runs` table, JSON columns parsed. */
export interface RunRecord {
  id: string
  threadId: string
  assistantId: string | null
  route: string
  /** The principal's key (`user:42`); '' for a run without a principal. */
  principal: string
  /** The principal the run acts as, exactly as it was when the run was created; null for none. */
  principalData: Principal | null
  status: RunStatus
  /** Attempts started so far. */
  attempts: number
  input: unknown
  output: unknown
  errorCode: string | null
  error: string | null
  metadata: Record<string, unknown>
  webhook: string | null
  idempotencyKey: string | null
  options: RunExecution
  /** Set when the run was cancelled. */
  cancelAction: CancelAction | null
  /**
   * The thread's newest checkpoint id when the run first started ('' when
   * the thread had none); null until then. A later attempt continues the
   * thread only when its newest checkpoint is another one (this run's).
   */
  startCheckpoint: string | null
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  updatedAt: number
}

export interface NewRun {
  id?: string
  threadId?: string
  assistantId?: string
  route: string
  /** Who the run acts as (the creating request's principal); null, '' or omitted for none. */
  principal?: Principal | null | ''
  input?: unknown
  metadata?: Record<string, unknown>
  webhook?: string
  /** The same key from the same principal returns the run created first instead of a new one. */
  idempotencyKey?: string
  options?: RunExecution
}

export interface RunEnd {
  status: Exclude<RunStatus, 'pending' | 'running'>
  output?: unknown
  errorCode?: string
  error?: string
}

interface Row {
  id: string
  thread_id: string
  assistant_id: string | null
  route: string
  principal: string
  principal_data: string | null
  status: string
  attempts: number | string
  input: string | null
  output: string | null
  error_code: string | null
  error: string | null
  metadata: string
  webhook: string | null
  idempotency_key: string | null
  options: string | null
  cancel_action: string | null
  start_checkpoint: string | null
  created_at: number | string
  started_at: number | string | null
  ended_at: number | string | null
  updated_at: number | string
}

const TABLE = 'runs'
const MAX_LIST = 1000

/**
 * The `runs` table on the application's database (SQLite or PostgreSQL).
 * Every status change is one conditional UPDATE on the run's current status
 * and attempt count, so of two processes that try the same change only one
 * succeeds: two workers never both start a run, and only the holder of an
 * attempt records how it ended.
 *
 * @example
 * const store = new RunStore(() => app.make('db').connection())
 * const { run } = await store.create({ route: '/support', input: { question: 'hi' }, idempotencyKey: 'order-42' })
 * const started = await store.start(run)   // undefined when another worker got it first
 */
export class RunStore {
  constructor(private readonly knex: () => Knex) {}

  /** Creates the run, or returns the one this principal already created with the same idempotency key (`created: false`). */
  async create(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    if (!run.route) throw new E_INVALID_INPUT('A run needs a route')
    const principal = checkPrincipal(run.principal)
    const now = Date.now()
    const row: Row = {
      id: run.id === undefined ? randomUUID() : checkRunId(run.id),
      thread_id: run.threadId ?? randomUUID(),
      assistant_id: run.assistantId ?? null,
      route: run.route,
      principal: principal ? `${principal.type}:${principal.id}` : '',
      principal_data: principal ? JSON.stringify(principal) : null,
      status: 'pending',
      attempts: 0,
      input: run.input === undefined ? null : JSON.stringify(run.input),
      output: null,
      error_code: null,
      error: null,
      metadata: JSON.stringify(run.metadata ?? {}),
      webhook: run.webhook ?? null,
      idempotency_key: run.idempotencyKey ?? null,
      options: run.options === undefined ? null : JSON.stringify(run.options),
      cancel_action: null,
      start_checkpoint: null,
      created_at: now,
      started_at: null,
      ended_at: null,
      updated_at: now,
    }
    try {
      await guard(() => this.knex()(TABLE).insert(row))
      return { run: toRecord(row), created: true }
    } catch (error) {
      if (!isUniqueViolation(error) || row.idempotency_key === null) throw error
      // The unique index decided the race: the first insert won, every other caller gets its run.
      const existing = await guard(() => this.knex()(TABLE).where({ principal: row.principal, idempotency_key: row.idempotency_key }).first())
      if (!existing) throw error
      return { run: toRecord(existing as Row), created: false }
    }
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = (await guard(() => this.knex()(TABLE).where({ id }).first())) as Row | undefined
    return row ? toRecord(row) : undefined
  }

  /** The run `principal` (its key, '' for none) created with this idempotency key. */
  async byIdempotencyKey(principal: string, key: string): Promise<RunRecord | undefined> {
    const row = (await guard(() => this.knex()(TABLE).where({ principal, idempotency_key: key }).first())) as Row | undefined
    return row ? toRecord(row) : undefined
  }

  /** Newest first. */
  async list(filter: { threadId?: string; status?: RunStatus | RunStatus[]; limit?: number; offset?: number } = {}): Promise<RunRecord[]> {
    const limit = Math.min(Math.max(1, filter.limit ?? 100), MAX_LIST)
    const rows = (await guard(() => {
      const query = this.knex()(TABLE).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).offset(Math.max(0, filter.offset ?? 0))
      if (filter.threadId !== undefined) query.where({ thread_id: filter.threadId })
      if (filter.status !== undefined) query.whereIn('status', Array.isArray(filter.status) ? filter.status : [filter.status])
      return query
    })) as Row[]
    return rows.map(toRecord)
  }

  async countByStatus(): Promise<Record<RunStatus, number>> {
    const rows = (await guard(() => this.knex()(TABLE).select('status').count({ count: '*' }).groupBy('status'))) as Array<{ status: string; count: number | string }>
    const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>
    for (const row of rows) if (row.status in counts) counts[row.status as RunStatus] = Number(row.count)
    return counts
  }

  /**
   * Starts an attempt: pending (or running, when its last worker died) to
   * running, attempts + 1, only if the run is still as `seen` read it.
   * Undefined when another process changed it first.
   */
  async start(seen: RunRecord): Promise<RunRecord | undefined> {
    const now = Date.now()
    const changed = await guard(() =>
      this.knex()(TABLE)
        .where({ id: seen.id, attempts: seen.attempts })
        .whereIn('status', ['pending', 'running'])
        .update({ status: 'running', attempts: seen.attempts + 1, started_at: now, updated_at: now }),
    )
    return changed === 1 ? { ...seen, status: 'running', attempts: seen.attempts + 1, startedAt: now, updatedAt: now } : undefined
  }

  /** Records how attempt `attempts` ended; false when the run is no longer that attempt's (taken over, cancelled). */
  async finish(id: string, attempts: number, end: RunEnd): Promise<boolean> {
    const now = Date.now()
    const changed = await guard(() =>
      this.knex()(TABLE)
        .where({ id, attempts, status: 'running' })
        .update({
          status: end.status,
          output: end.output === undefined ? null : JSON.stringify(end.output),
          error_code: end.errorCode ?? null,
          error: end.error ?? null,
          ended_at: now,
          updated_at: now,
        }),
    )
    return changed === 1
  }

  /** Records the checkpoint attempt `attempts` starts the run from (see `RunRecord.startCheckpoint`); false when the attempt is no longer the run's. */
  async markStart(id: string, attempts: number, checkpoint: string): Promise<boolean> {
    const changed = await guard(() => this.knex()(TABLE).where({ id, attempts, status: 'running' }).update({ start_checkpoint: checkpoint, updated_at: Date.now() }))
    return changed === 1
  }

  /** A draining worker hands the run back: running to pending, its checkpoints kept for the next attempt. */
  async release(id: string, attempts: number): Promise<boolean> {
    const changed = await guard(() => this.knex()(TABLE).where({ id, attempts, status: 'running' }).update({ status: 'pending', updated_at: Date.now() }))
    return changed === 1
  }

  /** Deletes a run that never started (its job could not be queued); false when it started meanwhile. */
  async discard(id: string): Promise<boolean> {
    const changed = await guard(() => this.knex()(TABLE).where({ id, status: 'pending', attempts: 0 }).delete())
    return changed === 1
  }

  /** Deletes a run that has ended (its record only); false when it has not ended or is gone. */
  async delete(id: string): Promise<boolean> {
    const changed = await guard(() => this.knex()(TABLE).where({ id }).whereIn('status', [...FINAL_RUN_STATUSES]).delete())
    return changed === 1
  }

  /** Deletes every run of a thread that has ended (the thread was deleted); resolves with how many. */
  async deleteEnded(threadId: string): Promise<number> {
    return guard(() => this.knex()(TABLE).where({ thread_id: threadId }).whereIn('status', [...FINAL_RUN_STATUSES]).delete())
  }

  /** Moves a run from one of `from` to `to` (cancel a pending run, retry an errored one); false when it was in none of them. */
  async transition(id: string, from: readonly RunStatus[], to: RunStatus, reason?: { errorCode: string; error: string; cancelAction?: CancelAction }): Promise<boolean> {
    const now = Date.now()
    const final = FINAL_RUN_STATUSES.includes(to)
    const ended = { ended_at: now, ...(reason ? { error_code: reason.errorCode, error: reason.error } : {}), ...(reason?.cancelAction ? { cancel_action: reason.cancelAction } : {}) }
    const changed = await guard(() =>
      this.knex()(TABLE)
        .where({ id })
        .whereIn('status', [...from])
        .update({ status: to, updated_at: now, ...(final ? ended : { ended_at: null, error_code: null, error: null, cancel_action: null }) }),
    )
    return changed === 1
  }
}

function toRecord(row: Row): RunRecord {
  return {
    id: row.id,
    threadId: row.thread_id,
    assistantId: row.assistant_id,
    route: row.route,
    principal: row.principal,
    principalData: parse(row.principal_data) as Principal | null,
    status: row.status as RunStatus,
    attempts: Number(row.attempts),
    input: parse(row.input),
    output: parse(row.output),
    errorCode: row.error_code,
    error: row.error,
    metadata: (parse(row.metadata) ?? {}) as Record<string, unknown>,
    webhook: row.webhook,
    idempotencyKey: row.idempotency_key,
    options: (parse(row.options) ?? {}) as RunExecution,
    cancelAction: (row.cancel_action as CancelAction | null) ?? null,
    startCheckpoint: row.start_checkpoint ?? null,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    updatedAt: Number(row.updated_at),
  }
}

const PRINCIPAL_TYPES: readonly string[] = ['user', 'api_key', 'system']
const MAX_PERMISSIONS = 1000

/** The principal a run is created for, copied to plain data; undefined for none. E_INVALID_INPUT when it is not a principal. */
function checkPrincipal(value: unknown): Principal | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const bad = (why: string) => new E_INVALID_INPUT(`A run's principal is invalid: ${why}`, { help: 'Pass the request\'s principal ({ type, id, permissions }) or nothing.' })
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('it must be an object with type, id and permissions')
  const { type, id, permissions, claims } = value as Record<string, unknown>
  if (typeof type !== 'string' || !PRINCIPAL_TYPES.includes(type)) throw bad(`type must be one of ${PRINCIPAL_TYPES.join(', ')}`)
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw bad('id must be a string of 1-200 characters')
  if (!Array.isArray(permissions) || permissions.length > MAX_PERMISSIONS || !permissions.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 200)) {
    throw bad(`permissions must be a list of at most ${MAX_PERMISSIONS} permission names`)
  }
  if (claims !== undefined && (claims === null || typeof claims !== 'object' || Array.isArray(claims))) throw bad('claims must be an object')
  let copied: Record<string, unknown> | undefined
  try {
    copied = claims === undefined ? undefined : (JSON.parse(JSON.stringify(claims)) as Record<string, unknown>)
  } catch {
    throw bad('claims must be JSON')
  }
  return { type: type as Principal['type'], id, permissions: [...(permissions as string[])], ...(copied ? { claims: copied } : {}) }
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text)
}

/** PostgreSQL's unique_violation, SQLite's UNIQUE constraint failure. */
function isUniqueViolation(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (typeof message === 'string' && message.includes('UNIQUE constraint failed'))
}

async function guard<T>(operation: () => PromiseLike<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (isMissingTable(error)) throw new E_NOT_MIGRATED('The runs table', { cause: error })
    throw error
  }
}
