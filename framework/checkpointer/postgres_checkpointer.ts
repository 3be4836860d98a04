import type { RunnableConfig } from '@langchain/core/runnables'
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint'
import type { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres'
import { E_NOT_MIGRATED, E_SERVICE_UNAVAILABLE } from '../errors'
import type { PgPool } from './pg_pool'

export interface PostgresCheckpointerOptions {
  /** Schema holding the checkpoint tables; defaults to the connection's `current_schema()` (usually `public`). */
  schema?: string
  serde?: SerializerProtocol
}

/** What pg rejects a query with once its client's connection has failed. */
const PG_CONNECTION_LOST = 'Client has encountered a connection error and is not queryable'

/** The tables PostgresSaver.setup() creates (its own migration table included). */
export const POSTGRES_CHECKPOINT_TABLES = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes', 'checkpoint_migrations'] as const

/**
 * The official PostgresSaver, with one difference: it never creates its
 * schema. `langvel migrate` does that (database/migrations/*_create_checkpoint_tables.ts),
 * so request handling never runs DDL and a missing migration fails the first
 * use with E_NOT_MIGRATED instead of a raw "relation does not exist".
 *
 * The tables are checked once, on first use; a failed check is retried on the
 * next call, so running the migration fixes a live process.
 *
 * @example
 * const saver = new PostgresCheckpointer(createPgPool({ connectionString: process.env.DATABASE_URL }))
 * const graph = workflow.compile({ checkpointer: saver })
 * await saver.end()
 */
export class PostgresCheckpointer extends BaseCheckpointSaver {
  private ready?: Promise<PostgresSaver>

  constructor(
    readonly pool: PgPool,
    private readonly options: PostgresCheckpointerOptions = {},
  ) {
    super(options.serde)
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return (await this.saver()).getTuple(config)
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    yield* (await this.saver()).list(config, options)
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    return this.transaction((saver) => saver.put(config, checkpoint, metadata, newVersions))
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    return this.transaction((saver) => saver.putWrites(config, writes, taskId))
  }

  async deleteThread(threadId: string): Promise<void> {
    return this.transaction((saver) => saver.deleteThread(threadId))
  }

  /** Closes the pool. */
  async end(): Promise<void> {
    await this.pool.end()
  }

  /**
   * Runs one of the saver's transactions. When the server drops the connection
   * mid-transaction, the saver's ROLLBACK on the dead client rejects with pg's
   * "not queryable" error, which replaces the original one (57P01, "Connection
   * terminated"): that is a database outage to retry, not a bug.
   */
  private async transaction<T>(operation: (saver: PostgresSaver) => Promise<T>): Promise<T> {
    const saver = await this.saver()
    try {
      return await operation(saver)
    } catch (error) {
      if ((error as { message?: unknown } | undefined)?.message === PG_CONNECTION_LOST) throw new E_SERVICE_UNAVAILABLE('The database', { cause: error })
      throw error
    }
  }

  private saver(): Promise<PostgresSaver> {
    this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined
      throw error
    })
    return this.ready
  }

  private async connect(): Promise<PostgresSaver> {
    const schema = this.options.schema ?? (await currentSchema(this.pool))
    const qualified = POSTGRES_CHECKPOINT_TABLES.map((table) => `${quoteIdentifier(schema)}.${table}`)
    const { rows } = await this.pool.query<{ missing: string[] | null }>(
      'select array_agg(name) filter (where to_regclass(name) is null) as missing from unnest($1::text[]) as name',
      [qualified],
    )
    const missing = rows[0]?.missing ?? []
    if (missing.length > 0) {
      throw new E_NOT_MIGRATED(`The Postgres checkpoint tables (${missing.join(', ')})`, {
        details: { schema, missing },
      })
    }
    const { PostgresSaver: Saver } = require('@langchain/langgraph-checkpoint-postgres') as typeof import('@langchain/langgraph-checkpoint-postgres')
    return new Saver(this.pool as never, this.serde, { schema })
  }
}

/** The schema unqualified names resolve to on this connection; `public` when the search path names none that exists. */
export async function currentSchema(pool: Pick<PgPool, 'query'>): Promise<string> {
  const { rows } = await pool.query<{ schema: string | null }>('select current_schema() as schema')
  return rows[0]?.schema ?? 'public'
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
