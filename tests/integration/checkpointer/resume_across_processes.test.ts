import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Command } from '@langchain/langgraph'
import { Redis } from 'ioredis'
import knexFactory from 'knex'
import { down, up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { CheckpointerManager, type CheckpointerManagerOptions } from '../../../framework/checkpointer/checkpointer_manager'
import type { RedisSaver } from '../../../framework/checkpointer/redis_saver'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../../helpers/services'
import { approvalGraph, type Calls, type ChildRun } from './fixtures/approval_graph'

const FIXTURE = resolve(__dirname, 'fixtures', 'approval_graph.ts')
const ROOT = resolve(__dirname, '..', '..', '..')
const run = promisify(execFile)

interface ChildReport {
  pid: number
  calls: Calls
  interrupts: unknown[]
}

/** Runs the thread in a separate Node process until it stops at interrupt(). */
async function interruptInChild(child: ChildRun): Promise<ChildReport> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(child)], { cwd: ROOT, timeout: 60_000 })
  return JSON.parse(stdout) as ChildReport
}

/**
 * The scenario every durable driver must pass: a child process stops at the
 * interrupt and exits; this process, on a fresh saver and connection, sees the
 * pending question and resumes the thread to the end without re-running the
 * nodes the child finished.
 */
async function expectResumedHere(manager: CheckpointerManager, driver: string, threadId: string, child: ChildReport): Promise<void> {
  expect(child.pid).not.toBe(process.pid)
  expect(child.calls).toEqual({ draft: 1, review: 1, publish: 0 })
  expect(child.interrupts).toEqual([{ question: 'Publish this draft?' }])

  const calls: Calls = { draft: 0, review: 0, publish: 0 }
  const graph = approvalGraph(manager.use(driver), calls)
  const config = { configurable: { thread_id: threadId } }
  const paused = await graph.getState(config)
  expect(paused.next).toEqual(['review'])
  expect(paused.tasks[0]?.interrupts.map((item) => item.value)).toEqual([{ question: 'Publish this draft?' }])

  const done = await graph.invoke(new Command({ resume: 'approved' }), config)
  expect(done.steps).toEqual(['start', 'draft', 'review:approved', 'publish'])
  // The interrupted node runs again to receive the answer; the finished one does not.
  expect(calls).toEqual({ draft: 0, review: 1, publish: 1 })
  expect((await graph.getState(config)).next).toEqual([])
}

const baseConfig = (driver: CheckpointerManagerOptions['config']['default']): CheckpointerManagerOptions['config'] => ({
  default: driver,
  sqlitePath: 'storage/checkpoints.sqlite',
  redisTtlSeconds: 600,
})

describe('resuming an interrupted thread in another process: sqlite', () => {
  let base: string
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-resume-'))
  })
  afterAll(() => rmSync(base, { recursive: true, force: true }))

  it('finishes in this process the thread a child process left at interrupt()', async () => {
    const options = { config: baseConfig('sqlite'), basePath: base }
    const child = await interruptInChild({ driver: 'sqlite', threadId: 'sqlite-thread', manager: options })
    const manager = new CheckpointerManager(options)
    try {
      await expectResumedHere(manager, 'sqlite', 'sqlite-thread', child)
    } finally {
      await manager.close()
    }
  })
})

describeWithPostgres('resuming an interrupted thread in another process: postgres', () => {
  const schema = `langvel_resume_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [schema], pool: { min: 0, max: 1 } })
  beforeAll(() => up(knex))
  afterAll(async () => {
    await down(knex)
    await knex.raw('drop schema if exists ?? cascade', [schema])
    await knex.destroy()
  })

  it('finishes in this process the thread a child process left at interrupt()', async () => {
    const options = { config: baseConfig('postgres'), basePath: ROOT, databaseUrl: POSTGRES_URL, postgresSchema: schema, postgresPoolMax: 2 }
    const child = await interruptInChild({ driver: 'postgres', threadId: 'pg-thread', manager: options })
    const manager = new CheckpointerManager(options)
    try {
      await expectResumedHere(manager, 'postgres', 'pg-thread', child)
    } finally {
      await manager.close()
    }
  })
})

describeWithRedis('resuming an interrupted thread in another process: redis', () => {
  const prefix = `langvel-test:resume:${randomUUID().slice(0, 8)}:`
  let client: Redis
  beforeAll(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
  })
  afterAll(() => client.quit())

  it('finishes in this process the thread a child process left at interrupt()', async () => {
    const options = { config: baseConfig('redis'), basePath: ROOT, redisPrefix: prefix }
    const child = await interruptInChild({ driver: 'redis', threadId: 'redis-thread', manager: options, redisUrl: REDIS_URL })
    const manager = new CheckpointerManager({ ...options, redis: () => client })
    try {
      await expectResumedHere(manager, 'redis', 'redis-thread', child)
    } finally {
      await (manager.use('redis') as RedisSaver).deleteThread('redis-thread')
      await manager.close()
    }
  })
})
