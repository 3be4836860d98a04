import { watchConnectionLoss, type ErrorEmitter } from '../database/connection_loss'
import type { Logger } from '../logger'

/**
 * The slice of node-postgres the checkpointer uses. The project has no
 * @types/pg, so this structural type keeps the code strict without one.
 */
export interface PgQueryResult<Row = Record<string, unknown>> {
  rows: Row[]
}

export interface PgPool {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgQueryResult<Row>>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'connect', listener: (client: ErrorEmitter) => void): unknown
}

export type PgPoolConfig = Record<string, unknown> & { connectionString?: string; max?: number }

export interface PgPoolOptions {
  /** Where a lost connection is reported (once per connection). */
  logger?: Logger
  /** Names the pool in that report. */
  name?: string
}

/**
 * Opens a pg Pool whose connections may be dropped by the server without
 * taking the process down: the queries on a dropped connection fail, the
 * pool opens a new one for the next. Required lazily so applications that
 * never use Postgres do not load pg.
 *
 * @example
 * const pool = createPgPool({ connectionString: 'postgres://postgres@127.0.0.1:5432/app', max: 5 }, { logger })
 */
export function createPgPool(config: PgPoolConfig, options: PgPoolOptions = {}): PgPool {
  const { Pool } = require('pg') as { Pool: new (config: PgPoolConfig) => PgPool }
  const pool = new Pool(config)
  // Every client gets a listener before it is first handed out: PostgresSaver checks clients out
  // with pool.connect() for its transactions, and pg-pool listens only while a client is idle.
  pool.on('connect', (client) => watchConnectionLoss(client, { logger: options.logger, pool: options.name ?? 'pg' }))
  // pg-pool re-emits an idle client's error here; the client's own listener has reported it.
  pool.on('error', () => undefined)
  return pool
}
