import { BaseStore, type Item, type Operation, type OperationResults, type SearchItem } from '@langchain/langgraph-checkpoint'
import type { PostgresStore } from '@langchain/langgraph-checkpoint-postgres/store'
import type { Knex } from 'knex'
import { createPgPool } from '../checkpointer/pg_pool'
import { currentSchema, quoteIdentifier } from '../checkpointer/postgres_checkpointer'
import { watchConnectionLoss, type ErrorEmitter } from '../database/connection_loss'
import { E_NOT_MIGRATED } from '../errors'
import type { Logger } from '../logger'

/** The tables PostgresStore.setup() creates without a vector index (its migration table included). */
export const POSTGRES_STORE_TABLES = ['store', 'store_migrations'] as const

export interface PostgresMemoryStoreOptions {
  connectionString: string
  max?: number
  /** Schema of the store tables; defaults to the connection's `current_schema()`. */
  schema?: string
  logger?: Logger
}

/** The pg Pool PostgresStore makes for itself (a private field: it gives no other way to listen to it). */
interface StoreInternals {
  core?: { pool?: { on(event: 'connect', listener: (client: ErrorEmitter) => void): unknown; on(event: 'error', listener: () => void): unknown } }
}

/**
 * The official PostgresStore, with two differences: it never creates its
 * tables (`langvel migrate` does, through `setupPostgresStoreTables`), so a
 * missing migration fails the first use with E_NOT_MIGRATED; and a connection
 * the server drops does not end the process. The tables are checked once; a
 * failed check is retried on the next call.
 */
class MigratedPostgresStore extends BaseStore {
  private ready?: Promise<PostgresStore>
  private opened?: PostgresStore

  constructor(private readonly options: PostgresMemoryStoreOptions) {
    super()
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    return (await this.store()).batch(operations)
  }

  override async get(namespace: string[], key: string): Promise<Item | null> {
    return (await this.store()).get(namespace, key)
  }

  override async search(namespacePrefix: string[], options?: Parameters<PostgresStore['search']>[1]): Promise<SearchItem[]> {
    return (await this.store()).search(namespacePrefix, options)
  }

  override async put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[]): Promise<void> {
    return (await this.store()).put(namespace, key, value, index)
  }

  override async delete(namespace: string[], key: string): Promise<void> {
    return (await this.store()).delete(namespace, key)
  }

  override async listNamespaces(options?: { prefix?: string[]; suffix?: string[]; maxDepth?: number; limit?: number; offset?: number }): Promise<string[][]> {
    return (await this.store()).listNamespaces(options)
  }

  /** Closes the pool. */
  override async stop(): Promise<void> {
    const opened = this.opened
    this.opened = undefined
    this.ready = undefined
    await opened?.stop()
  }

  private store(): Promise<PostgresStore> {
    this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined
      throw error
    })
    return this.ready
  }

  private async connect(): Promise<PostgresStore> {
    const probe = createPgPool({ connectionString: this.options.connectionString, max: 1 }, { logger: this.options.logger, name: 'memory' })
    let schema: string
    try {
      schema = this.options.schema ?? (await currentSchema(probe))
      const missing = await missingTables(probe, schema)
      if (missing.length > 0) throw new E_NOT_MIGRATED(`The Postgres memory tables (${missing.join(', ')})`, { details: { schema, missing } })
    } finally {
      await probe.end()
    }
    const { PostgresStore: Store } = require('@langchain/langgraph-checkpoint-postgres/store') as typeof import('@langchain/langgraph-checkpoint-postgres/store')
    const store = new Store({ connectionOptions: { connectionString: this.options.connectionString, max: this.options.max ?? 10 }, schema, ensureTables: false })
    const pool = (store as unknown as StoreInternals).core?.pool
    pool?.on('connect', (client) => watchConnectionLoss(client, { logger: this.options.logger, pool: 'memory' }))
    pool?.on('error', () => undefined)
    this.opened = store
    return store
  }
}

/** The BaseStore of MEMORY_STORE=postgres. */
export function openPostgresStore(options: PostgresMemoryStoreOptions): BaseStore & { stop(): Promise<void> } {
  return new MigratedPostgresStore(options)
}

async function missingTables(pool: { query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[] }> }, schema: string): Promise<string[]> {
  const qualified = POSTGRES_STORE_TABLES.map((table) => `${quoteIdentifier(schema)}.${table}`)
  const { rows } = await pool.query<{ missing: string[] | null }>('select array_agg(name) filter (where to_regclass(name) is null) as missing from unnest($1::text[]) as name', [qualified])
  return rows[0]?.missing ?? []
}

/**
 * Creates or upgrades the memory tables with the official PostgresStore.setup()
 * (it versions its schema in `store_migrations`). Called from a migration; a
 * no-op on any other database.
 *
 * @example
 * export const up = (knex: Knex) => setupPostgresStoreTables(knex)
 */
export async function setupPostgresStoreTables(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return
  const schema = await schemaOf(knex)
  const { PostgresStore: Store } = require('@langchain/langgraph-checkpoint-postgres/store') as typeof import('@langchain/langgraph-checkpoint-postgres/store')
  const store = new Store({ connectionOptions: { ...(await connectionOf(knex)), max: 1 }, schema, ensureTables: false })
  try {
    await store.setup()
  } finally {
    await store.stop()
  }
}

/** Drops the memory tables (every memory with them). The store's trigger function is left: its generic name may be shared. */
export async function dropPostgresStoreTables(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return
  const schema = await schemaOf(knex)
  for (const table of ['store_vectors', ...POSTGRES_STORE_TABLES]) await knex.schema.withSchema(schema).dropTableIfExists(table)
}

async function schemaOf(knex: Knex): Promise<string> {
  const searchPath = (knex.client.config as Knex.Config).searchPath
  const first = Array.isArray(searchPath) ? searchPath[0] : searchPath
  if (first) return first
  return currentSchema({ query: async <Row>(text: string) => (await knex.raw(text)) as { rows: Row[] } })
}

async function connectionOf(knex: Knex): Promise<Record<string, unknown>> {
  let connection = (knex.client.config as Knex.Config).connection as unknown
  if (typeof connection === 'function') connection = await (connection as () => unknown)()
  if (typeof connection === 'string') return { connectionString: connection }
  return { ...(connection as Record<string, unknown>) }
}
