import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'
import type { BusOptions } from '../../../framework/bus/bus_options'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { eventually } from '../../unit/bus/bus_conformance'

const CLOSER = resolve(__dirname, 'fixtures', 'bus_close.ts')
const ROOT = resolve(__dirname, '..', '..', '..')
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Runs bus_close.ts and resolves with its exit code and output lines (a process kept alive past 5 s exits 3). */
function runCloser(prefix: string, mode: string): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLOSER, JSON.stringify({ url: REDIS_URL, prefix, mode })], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  return new Promise((done) => child.once('exit', (code) => done({ code, lines: out.trim().split('\n') })))
}

describeWithRedis('RedisBus lifecycle', () => {
  let redis: RedisManager
  let prefix: string
  const buses: RedisBus[] = []
  const extra: Redis[] = []

  const bus = (options: Partial<BusOptions> = {}, connection: Redis = redis.connection()) => {
    const created = new RedisBus({ retryBaseMs: 5, ...options, connection, prefix, blockMs: 100, metrics: busMetrics(new Registry()) })
    buses.push(created)
    return created
  }

  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix: 'test:' })
  })
  beforeEach(() => {
    prefix = `test:bus-${randomUUID()}:`
  })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((created) => created.close()))
    for (const connection of extra.splice(0)) connection.disconnect()
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
  })
  afterAll(() => redis.close())

  it('brings an unnamed subscription’s alive key back after it expired, so a publish does not destroy the live group', async () => {
    const here = bus({ claimIdleMs: 300 })
    const got: number[] = []
    await here.subscribe<number, void>('alive', (n) => void got.push(n))
    const connection = redis.connection()
    const alive = await connection.keys(`${prefix}bus:alive:*`)
    expect(alive).toHaveLength(1)
    // As if the event loop had stalled past the key's life.
    await connection.del(...alive)
    await eventually(async () => expect(await connection.exists(...alive)).toBe(1), 3000)
    for (const n of [1, 2, 3]) await here.publish('alive', n)
    await eventually(() => expect(got).toEqual([1, 2, 3]))
  })

  it('lets a process whose handler never ends exit once the bus closed past its drain bound', async () => {
    const { code, lines } = await runCloser(prefix, 'drain')
    expect(lines).toContain('{"closed":true}')
    expect(code).toBe(0)
  }, 20_000)

  it('lets a process that made a request on a closed bus exit: no reply connection is opened', async () => {
    const { code, lines } = await runCloser(prefix, 'request-after-close')
    expect(lines).toContain('{"requestError":"E_BUS_CLOSED"}')
    expect(code).toBe(0)
  }, 20_000)

  it('does not start an entry a second time on the consumer already handling it when its touch fails', async () => {
    // A connection whose XCLAIM always fails: the handler's entry goes idle while it still runs.
    const connection = new Redis(REDIS_URL)
    extra.push(connection)
    connection.xclaim = (() => Promise.reject(new Error('touch fails'))) as unknown as Redis['xclaim']
    const here = bus({ claimIdleMs: 200, maxAttempts: 5 }, connection)
    const starts: number[] = []
    await here.subscribe<number, void>('slow', async (n) => {
      starts.push(n)
      await sleep(1200)
    }, { group: 'g', concurrency: 2 })
    await here.publish('slow', 1)
    await eventually(() => expect(starts).toEqual([1]))
    await sleep(1300)
    expect(starts).toEqual([1])
  })
})
