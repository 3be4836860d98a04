import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { BaseMessage } from '@langchain/core/messages'
import { Redis } from 'ioredis'
import knexFactory from 'knex'
import { down, up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { CheckpointerManager, type CheckpointerManagerOptions } from '../../../framework/checkpointer/checkpointer_manager'
import type { RedisSaver } from '../../../framework/checkpointer/redis_saver'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../../helpers/services'
import { refundAgent, type ToolLoopChild, type ToolRuns } from './fixtures/tool_loop_agent'

const FIXTURE = resolve(__dirname, 'fixtures', 'tool_loop_agent.ts')
const ROOT = resolve(__dirname, '..', '..', '..')
const run = promisify(execFile)

interface ChildReport {
  pid: number
  runs: ToolRuns
  interrupts: unknown[]
}

async function stopInChild(child: ToolLoopChild): Promise<ChildReport> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(child)], { cwd: ROOT, timeout: 60_000 })
  return JSON.parse(stdout) as ChildReport
}

/**
 * A child process runs a tool loop until a call waits for approval and exits;
 * this process, on a fresh saver, approves it: the call runs here, the model
 * answers, and neither the first model turn nor the call that finished in the
 * child runs again.
 */
async function expectFinishedHere(manager: CheckpointerManager, driver: string, threadId: string, child: ChildReport): Promise<void> {
  expect(child.pid).not.toBe(process.pid)
  expect(child.runs).toEqual({ model: 1, lookup_order: 1, refund: 0 })
  expect(child.interrupts).toEqual([expect.objectContaining({ type: 'tool_approval', tool: 'refund', callId: 'pay', args: { orderId: 8, amount: 15 } })])

  const runs: ToolRuns = { model: 0, lookup_order: 0, refund: 0 }
  const { agent, script } = refundAgent(runs)
  script.reply('Refunded 15.')
  await agent.compile({ checkpointer: manager.use(driver) })
  expect((await agent.getState(threadId)).next).toEqual(['tool_loop_tools'])

  const done = await agent.resume(threadId, 'approve')

  expect(runs).toEqual({ model: 1, lookup_order: 0, refund: 1 })
  expect(done.output.messages.map((m: BaseMessage) => m.getType())).toEqual(['human', 'ai', 'tool', 'tool', 'ai'])
  expect(done.output.messages.at(-1)?.text).toBe('Refunded 15.')
}

const baseConfig = (driver: CheckpointerManagerOptions['config']['default']): CheckpointerManagerOptions['config'] => ({
  default: driver,
  sqlitePath: 'storage/checkpoints.sqlite',
  redisTtlSeconds: 600,
})

describe('a tool loop stopped in another process: sqlite', () => {
  let base: string
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'langvel-toolloop-'))
  })
  afterAll(() => rmSync(base, { recursive: true, force: true }))

  it('is finished here without repeating the steps the child finished', async () => {
    const options = { config: baseConfig('sqlite'), basePath: base }
    const child = await stopInChild({ driver: 'sqlite', threadId: 'sqlite-loop', manager: options })
    const manager = new CheckpointerManager(options)
    try {
      await expectFinishedHere(manager, 'sqlite', 'sqlite-loop', child)
    } finally {
      await manager.close()
    }
  })
})

describeWithPostgres('a tool loop stopped in another process: postgres', () => {
  const schema = `langvel_toolloop_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [schema], pool: { min: 0, max: 1 } })
  beforeAll(() => up(knex))
  afterAll(async () => {
    await down(knex)
    await knex.raw('drop schema if exists ?? cascade', [schema])
    await knex.destroy()
  })

  it('is finished here without repeating the steps the child finished', async () => {
    const options = { config: baseConfig('postgres'), basePath: ROOT, databaseUrl: POSTGRES_URL, postgresSchema: schema, postgresPoolMax: 2 }
    const child = await stopInChild({ driver: 'postgres', threadId: 'pg-loop', manager: options })
    const manager = new CheckpointerManager(options)
    try {
      await expectFinishedHere(manager, 'postgres', 'pg-loop', child)
    } finally {
      await manager.close()
    }
  })
})

describeWithRedis('a tool loop stopped in another process: redis', () => {
  const prefix = `langvel-test:toolloop:${randomUUID().slice(0, 8)}:`
  let client: Redis
  beforeAll(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
  })
  afterAll(() => client.quit())

  it('is finished here without repeating the steps the child finished', async () => {
    const options = { config: baseConfig('redis'), basePath: ROOT, redisPrefix: prefix }
    const child = await stopInChild({ driver: 'redis', threadId: 'redis-loop', manager: options, redisUrl: REDIS_URL })
    const manager = new CheckpointerManager({ ...options, redis: () => client })
    try {
      await expectFinishedHere(manager, 'redis', 'redis-loop', child)
    } finally {
      await (manager.use('redis') as RedisSaver).deleteThread('RefundAgent:redis-loop')
      await manager.close()
    }
  })
})
