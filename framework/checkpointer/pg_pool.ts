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
}

export type PgPoolConfig = Record<string, unknown> & { connectionString?: string; max?: number }

/**
 * Opens a pg Pool. Required lazily so applications that never use Postgres
 * do not load pg.
 *
 * @example
 * const pool = createPgPool({ connectionString: 'postgres://postgres@127.0.0.1:5432/app', max: 5 })
 */
export function createPgPool(config: PgPoolConfig): PgPool {
  const { Pool } = require('pg') as { Pool: new (config: PgPoolConfig) => PgPool }
  const pool = new Pool(config)
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
  // The next query fails on its own and reports the problem where it matters.
  pool.on('error', () => undefined)
  return pool
}
