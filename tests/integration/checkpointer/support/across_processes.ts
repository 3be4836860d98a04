import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import knexFactory from 'knex'
import { down, up } from '../../../../database/migrations/20260101000000_create_checkpoint_tables'
import { CheckpointerManager, type CheckpointerManagerOptions } from '../../../../framework/checkpointer/checkpointer_manager'
import type { RedisSaver } from '../../../../framework/checkpointer/redis_saver'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../../../helpers/services'

export const ROOT = resolve(__dirname, '..', '..', '..', '..')
const run = promisify(execFile)

type Driver = 'sqlite' | 'postgres' | 'redis'
type ManagerOptions = Omit<CheckpointerManagerOptions, 'redis' | 'logger'>

/** What a child process is told: the driver, the thread, the manager's options (and Redis's URL). */
export interface ChildRun {
  driver: Driver
  threadId: string
  manager: ManagerOptions
  redisUrl?: string
}

/** Runs a fixture script in a separate Node process and reads the JSON report it prints. */
export async function runChild<R>(fixture: string, child: ChildRun): Promise<R> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(child)], { cwd: ROOT, timeout: 60_000 })
  return JSON.parse(stdout) as R
}

const baseConfig = (driver: Driver): CheckpointerManagerOptions['config'] => ({ default: driver, sqlitePath: 'storage/checkpoints.sqlite', redisTtlSeconds: 600 })

export interface AcrossProcesses<R> {
  /** `<title>: sqlite`, `: postgres`, `: redis`. */
  title: string
  /** The one test of each driver. */
  it: string
  /** Names the scratch storage (temp dir, Postgres schema, Redis prefix) and the thread ids. */
  tag: string
  /** Runs the first part in a child process. */
  child(run: ChildRun): Promise<R>
  /** This process, on a fresh manager: checks the child's report and finishes the thread. */
  finish(manager: CheckpointerManager, driver: Driver, threadId: string, report: R): Promise<void>
  /** The Redis saver's key of the thread, removed afterwards. */
  redisThread(threadId: string): string
}

/**
 * The scenario every durable checkpointer must pass, once per driver, each
 * on scratch storage of its own: a child process leaves a thread part-way,
 * then this process finishes it on a fresh saver and connection.
 */
export function describeAcrossProcesses<R>(scenario: AcrossProcesses<R>): void {
  const once = async (driver: Driver, options: ManagerOptions, threadId: string, extra: { redisUrl?: string; manager?: Partial<CheckpointerManagerOptions>; cleanup?: (manager: CheckpointerManager) => Promise<void> } = {}) => {
    const report = await scenario.child({ driver, threadId, manager: options, ...(extra.redisUrl ? { redisUrl: extra.redisUrl } : {}) })
    const manager = new CheckpointerManager({ ...options, ...extra.manager })
    try {
      await scenario.finish(manager, driver, threadId, report)
    } finally {
      await extra.cleanup?.(manager)
      await manager.close()
    }
  }

  describe(`${scenario.title}: sqlite`, () => {
    let base: string
    beforeAll(() => {
      base = mkdtempSync(join(tmpdir(), `langvel-${scenario.tag}-`))
    })
    afterAll(() => rmSync(base, { recursive: true, force: true }))

    it(scenario.it, () => once('sqlite', { config: baseConfig('sqlite'), basePath: base }, `sqlite-${scenario.tag}`))
  })

  describeWithPostgres(`${scenario.title}: postgres`, () => {
    const schema = `langvel_${scenario.tag}_${randomUUID().replace(/-/g, '').slice(0, 12)}`
    const knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [schema], pool: { min: 0, max: 1 } })
    beforeAll(() => up(knex))
    afterAll(async () => {
      await down(knex)
      await knex.raw('drop schema if exists ?? cascade', [schema])
      await knex.destroy()
    })

    it(scenario.it, () =>
      once('postgres', { config: baseConfig('postgres'), basePath: ROOT, databaseUrl: POSTGRES_URL, postgresSchema: schema, postgresPoolMax: 2 }, `pg-${scenario.tag}`),
    )
  })

  describeWithRedis(`${scenario.title}: redis`, () => {
    const prefix = `langvel-test:${scenario.tag}:${randomUUID().slice(0, 8)}:`
    let client: Redis
    beforeAll(() => {
      client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
    })
    afterAll(() => client.quit())

    it(scenario.it, () => {
      const threadId = `redis-${scenario.tag}`
      return once('redis', { config: baseConfig('redis'), basePath: ROOT, redisPrefix: prefix }, threadId, {
        redisUrl: REDIS_URL,
        manager: { redis: () => client },
        cleanup: (manager) => (manager.use('redis') as RedisSaver).deleteThread(scenario.redisThread(threadId)),
      })
    })
  })
}
