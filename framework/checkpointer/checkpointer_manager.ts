import { DriverPool, type Opened as DriverOpened } from '../support/driver_pool'
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { Redis } from 'ioredis'
import type { ConfigMap } from '../config/config'
import { E_INVALID_CONFIG } from '../errors'
import type { Logger } from '../logger'
import { createPgPool } from './pg_pool'
import { PostgresCheckpointer } from './postgres_checkpointer'
import { RedisSaver } from './redis_saver'

export type CheckpointerConfig = ConfigMap['checkpointer']
export type CheckpointerDriverName = CheckpointerConfig['default']

export interface CheckpointerManagerOptions {
  config: CheckpointerConfig
  /** Project root; `config.sqlitePath` is relative to it. */
  basePath: string
  /** DATABASE_URL: the postgres driver opens its own pool on it. */
  databaseUrl?: string
  /** Schema of the postgres checkpoint tables; defaults to the connection's current schema. */
  postgresSchema?: string
  /** Pool size of the postgres driver. */
  postgresPoolMax?: number
  /** The Redis connection of the redis driver; owned (and closed) by whoever gives it. */
  redis?: () => Redis
  /** Key prefix of the redis driver (`redis.prefix` config). */
  redisPrefix?: string
  logger?: Logger
}

/** Builds one saver; returns it with the function that releases what it opened. */
export type CheckpointerFactory = (manager: CheckpointerManager) => { saver: BaseCheckpointSaver; close?: () => Promise<void> | void }

type Opened = DriverOpened<BaseCheckpointSaver>

/**
 * Gives LangGraph checkpoint savers by driver name (memory, sqlite, postgres,
 * redis). Each driver is created on first use and cached, so every agent on
 * a driver shares one saver and one pool; `close()` releases only what was
 * opened.
 *
 * @example
 * const saver = app.make('checkpointer').use()          // the STATE_CHECKPOINTER driver
 * const graph = workflow.compile({ checkpointer: saver })
 * const scratch = app.make('checkpointer').use('memory')
 */
export class CheckpointerManager {
  private readonly pool: DriverPool<BaseCheckpointSaver>

  constructor(readonly options: CheckpointerManagerOptions) {
    this.pool = new DriverPool(
      'checkpointer',
      { memory: () => this.createMemory(), sqlite: () => this.createSqlite(), postgres: () => this.createPostgres(), redis: () => this.createRedis() },
      options.logger,
    )
  }

  /** The configured default driver name. */
  get defaultDriver(): string {
    return this.options.config.default
  }

  /** Names of every driver `use()` accepts. */
  get drivers(): string[] {
    return this.pool.names
  }

  /**
   * The saver of driver `name` (the configured default when omitted).
   * Throws E_UNKNOWN_DRIVER for a name no driver answers to.
   */
  use(name: string = this.defaultDriver): BaseCheckpointSaver {
    return this.pool.use(name)
  }

  /**
   * A real read through the saver (health checks): a missing table, a dead
   * connection or an unreachable Redis rejects. Resolves with the round trip in ms.
   */
  async ping(name: string = this.defaultDriver): Promise<number> {
    const started = performance.now()
    await this.use(name).getTuple({ configurable: { thread_id: '__langvel_health__', checkpoint_ns: '' } })
    return performance.now() - started
  }

  /** Registers (or replaces) a driver, for savers the framework does not ship. */
  extend(name: string, factory: CheckpointerFactory): this {
    this.pool.extend(name, () => {
      const { saver, close } = factory(this)
      return { value: saver, close }
    })
    return this
  }

  /** True once driver `name` has been created. */
  isOpen(name: string): boolean {
    return this.pool.isOpen(name)
  }

  /** Closes every pool and file the drivers opened; the next `use()` opens them again. */
  close(): Promise<void> {
    return this.pool.close()
  }

  private createMemory(): Opened {
    const { MemorySaver } = require('@langchain/langgraph-checkpoint') as typeof import('@langchain/langgraph-checkpoint')
    return { value: new MemorySaver() }
  }

  private createSqlite(): Opened {
    const file = resolve(this.options.basePath, this.options.config.sqlitePath)
    mkdirSync(dirname(file), { recursive: true })
    const { SqliteSaver } = require('@langchain/langgraph-checkpoint-sqlite') as typeof import('@langchain/langgraph-checkpoint-sqlite')
    // Its tables and WAL mode are made now, when the driver opens (at server
    // start, or in the command that runs an agent), never inside a request.
    class PreparedSqliteSaver extends SqliteSaver {
      prepare(): this {
        this.setup()
        return this
      }
    }
    const Database = require('better-sqlite3') as new (file: string) => InstanceType<typeof SqliteSaver>['db']
    const saver = new PreparedSqliteSaver(new Database(file)).prepare()
    return { value: saver, close: () => void (saver.db as { close(): void }).close() }
  }

  private createPostgres(): Opened {
    const url = this.options.databaseUrl
    if (!url || !/^postgres(ql)?:\/\//.test(url)) {
      throw new E_INVALID_CONFIG(['DATABASE_URL must be a postgres:// URL when STATE_CHECKPOINTER=postgres'])
    }
    const pool = createPgPool({ connectionString: url, max: this.options.postgresPoolMax ?? 10 }, { logger: this.options.logger, name: 'checkpointer' })
    const saver = new PostgresCheckpointer(pool, { schema: this.options.postgresSchema })
    return { value: saver, close: () => saver.end() }
  }

  private createRedis(): Opened {
    if (!this.options.redis) throw new E_INVALID_CONFIG(['the redis checkpointer needs a Redis connection (is the redis provider registered?)'])
    const saver = new RedisSaver(this.options.redis(), {
      prefix: this.options.redisPrefix,
      ttlSeconds: this.options.config.redisTtlSeconds,
    })
    // The connection belongs to the Redis manager, which closes it on shutdown.
    return { value: saver }
  }
}
