import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { isMissingTable } from '../auth/store_errors'
import type { DatabaseDialect } from '../database/database_url'
import { E_NOT_MIGRATED } from '../errors'

export type ThreadStatus = 'idle' | 'busy' | 'interrupted' | 'error'
export const THREAD_STATUSES = ['idle', 'busy', 'interrupted', 'error'] as const

/** One row of the `threads` table, JSON columns parsed. */
export interface ThreadRecord {
  threadId: string
  /** The owner key of the principal that created it (`user:42`); null when created anonymously, for good: nothing changes it after. */
  owner: string | null
  /** The assistant (agent route) the thread is bound to: set by its first run, never changed after. */
  assistantId: string | null
  route: string | null
  metadata: Record<string, unknown>
  status: ThreadStatus
  /** The state values after the thread's last run. */
  values: Record<string, unknown> | null
  /** The interrupts its last run stopped at, by task id. */
  interrupts: Record<string, unknown[]> | null
  error: string | null
  createdAt: number
  updatedAt: number
}

export interface ThreadSearch {
  /** Only the threads of this owner key; `null` for the unowned threads. Undefined: every owner. */
  owner?: string | null
  /** Each key must hold this value in the thread's metadata. */
  metadata?: Record<string, unknown>
  status?: ThreadStatus
  ids?: string[]
  limit: number
  offset: number
  sortBy?: 'thread_id' | 'status' | 'created_at' | 'updated_at'
  sortOrder?: 'asc' | 'desc'
}

interface Row {
  thread_id: string
  owner: string | null
  assistant_id: string | null
  route: string | null
  metadata: string
  status: string
  values: string | null
  interrupts: string | null
  error: string | null
  created_at: number | string
  updated_at: number | string
}

const TABLE = 'threads'

/** For a route without a timeout: how long a run waits for its thread, and how long a busy thread is trusted to be running. */
const DEFAULT_TIMEOUT_SECONDS = 86_400
/** A thread busy this long past its route's timeout was left by a process that died: another run may take it. */
const STALE_GRACE_MS = 60_000

/**
 * How long a run of the route may wait for its thread (`timeoutMs`: its
 * timeout), and after how long a thread held that long is taken as left by
 * a process that died (`staleAfterMs`).
 */
export function threadTimeouts(route: { timeoutSeconds?: number }): { timeoutMs: number; staleAfterMs: number } {
  const timeoutMs = (route.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000
  return { timeoutMs, staleAfterMs: timeoutMs + STALE_GRACE_MS }
}

/** The token a background run holds its stored thread with: the same for every attempt, whichever process makes it. */
export function backgroundHolder(runId: string): string {
  return `run:${runId}`
}

/**
 * The LangGraph API's threads, on the application's database (SQLite or
 * PostgreSQL, through knex). A run takes its thread with `acquire`, which
 * marks it busy in one conditional update, so two runs on one thread cannot
 * both start, whichever process serves them. `acquire` answers a token, and
 * only its holder can `finish` (record how it ended) or `delete` the thread:
 * a run whose thread was taken over as stale changes nothing when it ends.
 *
 * @example
 * const store = new ThreadStore(() => db.connection(), db.dialect)
 * await store.create({ threadId, owner: 'user:42', metadata: {} })
 * const token = await store.acquire(threadId, staleBefore)
 * if (!token) throw new E_THREAD_BUSY(threadId)
 * await store.finish(threadId, token, { status: 'idle' })
 */
export class ThreadStore {
  constructor(
    private readonly knex: () => Knex,
    private readonly dialect: DatabaseDialect,
  ) {}

  async get(threadId: string): Promise<ThreadRecord | undefined> {
    const row = (await guard(() => this.knex()(TABLE).where({ thread_id: threadId }).first())) as Row | undefined
    return row ? toRecord(row) : undefined
  }

  /** Inserts a thread; false when one with this id exists already (left as it is). */
  async create(thread: { threadId: string; owner: string | null; metadata: Record<string, unknown>; assistantId?: string; route?: string }): Promise<boolean> {
    const now = Date.now()
    const inserted = await guard(() =>
      this.knex()(TABLE)
        .insert({
        thread_id: thread.threadId,
        owner: thread.owner,
        assistant_id: thread.assistantId ?? null,
        route: thread.route ?? null,
        metadata: JSON.stringify(thread.metadata),
        status: 'idle',
        created_at: now,
        updated_at: now,
      })
      .onConflict('thread_id')
      .ignore()
      .returning('thread_id'),
    )
    return Array.isArray(inserted) && inserted.length > 0
  }

  /** Merges `metadata` into the thread's (a key set to null stays, as null). */
  async mergeMetadata(threadId: string, metadata: Record<string, unknown>): Promise<ThreadRecord | undefined> {
    const thread = await this.get(threadId)
    if (!thread) return undefined
    const merged = { ...thread.metadata, ...metadata }
    await guard(() => this.knex()(TABLE).where({ thread_id: threadId }).update({ metadata: JSON.stringify(merged), updated_at: Date.now() }))
    return this.get(threadId)
  }

  /** Binds an unbound thread to an assistant; a bound thread keeps its assistant. */
  async bind(threadId: string, assistantId: string, route: string): Promise<void> {
    await guard(() => this.knex()(TABLE).where({ thread_id: threadId }).whereNull('route').update({ assistant_id: assistantId, route }))
  }

  /** Deletes the thread, held with `token` (from `acquire`); false when it is gone or another run holds it now. */
  async delete(threadId: string, token: string): Promise<boolean> {
    return (await guard(() => this.knex()(TABLE).where({ thread_id: threadId, run_token: token }).delete())) > 0
  }

  /**
   * Marks the thread busy unless it already is, and answers the token its
   * holder ends it with; undefined when another run holds it. A thread busy
   * since before `staleBefore` (a run that never finished: its process died)
   * is taken over, with a new token. `holder`: the token to hold it with
   * (a background run's own), which takes it back when it already holds it.
   */
  async acquire(threadId: string, staleBefore: number, holder?: string): Promise<string | undefined> {
    const now = Date.now()
    const token = holder ?? randomUUID()
    const updated = await guard(() =>
      this.knex()(TABLE)
        .where({ thread_id: threadId })
        .andWhere((query) => {
          query.whereNot({ status: 'busy' }).orWhere('updated_at', '<', staleBefore)
          // A holder that asks again (a background run on its next attempt, maybe in another process) still holds it.
          if (holder !== undefined) query.orWhere({ run_token: holder })
        })
        .update({ status: 'busy', run_token: token, error: null, updated_at: now }),
    )
    return updated > 0 ? token : undefined
  }

  /** Marks the thread held by `token` as still in use (its holder is alive); false when `token` no longer holds it. */
  async touch(threadId: string, token: string): Promise<boolean> {
    return (await guard(() => this.knex()(TABLE).where({ thread_id: threadId, run_token: token }).update({ updated_at: Date.now() }))) > 0
  }

  /** True when the run with `token` holds the thread now. */
  async heldBy(threadId: string, token: string): Promise<boolean> {
    return Boolean(await guard(() => this.knex()(TABLE).where({ thread_id: threadId, run_token: token }).first('thread_id')))
  }

  /** Records how the run holding `token` ended and the values it left; false (nothing changed) when it no longer holds the thread. */
  async finish(
    threadId: string,
    token: string,
    outcome: { status: Exclude<ThreadStatus, 'busy'>; values?: Record<string, unknown>; interrupts?: Record<string, unknown[]>; error?: string },
  ): Promise<boolean> {
    const changes: Record<string, unknown> = { status: outcome.status, run_token: null, error: outcome.error ?? null, updated_at: Date.now() }
    if (outcome.values !== undefined) changes.values = JSON.stringify(outcome.values)
    if (outcome.interrupts !== undefined) changes.interrupts = JSON.stringify(outcome.interrupts)
    return (await guard(() => this.knex()(TABLE).where({ thread_id: threadId, run_token: token }).update(changes))) > 0
  }

  async search(search: ThreadSearch): Promise<ThreadRecord[]> {
    const query = this.filtered(search)
    const rows = (await guard(() =>
      query
        .orderBy(search.sortBy ?? 'created_at', search.sortOrder ?? 'desc')
        .orderBy('thread_id', 'asc')
        .limit(search.limit)
        .offset(search.offset),
    )) as Row[]
    return rows.map(toRecord)
  }

  /** How many threads a search would find, all pages together. */
  async count(search: Omit<ThreadSearch, 'limit' | 'offset' | 'sortBy' | 'sortOrder'>): Promise<number> {
    const [row] = (await guard(() => this.filtered(search).count({ total: '*' }))) as Array<{ total: number | string }>
    return Number(row?.total ?? 0)
  }

  private filtered(search: Omit<ThreadSearch, 'limit' | 'offset' | 'sortBy' | 'sortOrder'>): Knex.QueryBuilder {
    const query = this.knex()(TABLE)
    if (search.owner === null) query.whereNull('owner')
    else if (search.owner !== undefined) query.where({ owner: search.owner })
    if (search.status) query.where({ status: search.status })
    if (search.ids) query.whereIn('thread_id', search.ids)
    for (const [key, value] of Object.entries(search.metadata ?? {})) this.whereMetadata(query, key, value)
    return query
  }

  private whereMetadata(query: Knex.QueryBuilder, key: string, value: unknown): void {
    if (this.dialect === 'postgres') {
      query.whereRaw('(metadata::jsonb) @> ?::jsonb', [JSON.stringify({ [key]: value })])
      return
    }
    const path = `$.${JSON.stringify(key)}`
    if (value === null) query.whereRaw("json_type(metadata, ?) = 'null'", [path])
    else if (typeof value === 'object') query.whereRaw('json_extract(metadata, ?) = json(?)', [path, JSON.stringify(value)])
    else if (typeof value === 'boolean') query.whereRaw(`json_type(metadata, ?) = '${value ? 'true' : 'false'}'`, [path])
    else query.whereRaw('json_extract(metadata, ?) = ?', [path, value as string | number])
  }
}

/** A missing table as E_NOT_MIGRATED (run `langvel migrate`); other driver errors go on to the exception handler, which knows an outage from a bug. */
async function guard<T>(operation: () => PromiseLike<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (isMissingTable(error)) throw new E_NOT_MIGRATED('The LangGraph API tables', { cause: error })
    throw error
  }
}

function parse<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T)
}

function toRecord(row: Row): ThreadRecord {
  return {
    threadId: row.thread_id,
    owner: row.owner,
    assistantId: row.assistant_id,
    route: row.route,
    metadata: parse<Record<string, unknown>>(row.metadata) ?? {},
    status: (THREAD_STATUSES as readonly string[]).includes(row.status) ? (row.status as ThreadStatus) : 'idle',
    values: parse(row.values),
    interrupts: parse(row.interrupts),
    error: row.error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}
