import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'
import type { BusOptions } from '../../../framework/bus/bus_options'
import { RedisBus } from '../../../framework/bus/redis_bus'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { eventually } from '../../unit/bus/bus_conformance'

const PEER = resolve(__dirname, 'fixtures', 'bus_peer.ts')
const ROOT = resolve(__dirname, '..', '..', '..')

interface Peer {
  child: ChildProcess
  events: Array<Record<string, number>>
  exited: Promise<number | null>
}

/** Starts bus_peer.ts in its own Node process and waits until it has subscribed. */
async function startPeer(prefix: string, role: 'echo' | 'stuck' | 'flood', extra: Record<string, number> = {}): Promise<Peer> {
  const child = spawn(process.execPath, ['--import', 'tsx', PEER, JSON.stringify({ url: REDIS_URL, prefix, role, ...extra })], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  const events: Array<Record<string, number>> = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => events.push(JSON.parse(line) as Record<string, number>))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  await eventually(() => expect(events.some((event) => event.ready === child.pid)).toBe(true), 30_000)
  return { child, events, exited }
}

describeWithRedis('RedisBus between processes', () => {
  let redis: RedisManager
  let prefix: string
  const buses: RedisBus[] = []
  const peers: Peer[] = []

  const bus = (options: Partial<BusOptions> = {}) => {
    const created = new RedisBus({ retryBaseMs: 5, ...options, connection: redis.connection(), prefix, blockMs: 100, metrics: busMetrics(new Registry()) })
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
    for (const peer of peers.splice(0)) {
      if (peer.child.exitCode === null && peer.child.signalCode === null) peer.child.kill('SIGKILL')
      await peer.exited
    }
    await Promise.all(buses.splice(0).map((created) => created.close()))
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
  })
  afterAll(() => redis.close())

  it('exchanges messages and request/replies with a bus in another process', async () => {
    const peer = await startPeer(prefix, 'echo')
    peers.push(peer)
    const here = bus()
    const pongs: Array<{ n: number; pid: number }> = []
    await here.subscribe<{ n: number; pid: number }, void>('pong', (pong) => void pongs.push(pong))
    for (let n = 0; n < 10; n++) await here.publish('ping', { n })
    await eventually(() => expect(pongs).toHaveLength(10))
    expect(pongs.map((pong) => pong.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(new Set(pongs.map((pong) => pong.pid))).toEqual(new Set([peer.child.pid]))
    await expect(here.request('ask', { x: 21 }, { timeoutMs: 10_000 })).resolves.toEqual({ doubled: 42, pid: peer.child.pid })

    peer.child.kill('SIGTERM')
    expect(await peer.exited).toBe(0)
  })

  it('keeps the bound when two processes flood one topic: the stream never exceeds it, and every message arrives once, in each publisher’s order', async () => {
    const maxQueue = 5
    const count = 40
    const peer = await startPeer(prefix, 'flood', { count, maxQueue })
    peers.push(peer)
    const here = bus({ maxQueue, onFull: 'wait', publishTimeoutMs: 60_000 })
    const got: Array<{ from: string; n: number }> = []
    await here.subscribe<{ from: string; n: number }, void>('flood', async (message) => {
      await new Promise((done) => setTimeout(done, 3))
      got.push(message)
    }, { group: 'sink' })
    const stream = `${prefix}bus:stream:flood`
    let longest = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        longest = Math.max(longest, await redis.connection().xlen(stream))
        await new Promise((done) => setTimeout(done, 1))
      }
    })()
    peer.child.stdin?.write('go\n')
    for (let n = 0; n < count; n++) await here.publish('flood', { from: 'here', n })
    await eventually(() => expect(peer.events.some((event) => event.published === count)).toBe(true), 30_000)
    await eventually(() => expect(got).toHaveLength(2 * count), 30_000)
    sampling = false
    await sampler
    await new Promise((done) => setTimeout(done, 300))
    expect(got).toHaveLength(2 * count)
    for (const from of ['here', 'peer']) {
      expect(got.filter((message) => message.from === from).map((message) => message.n)).toEqual(Array.from({ length: count }, (_, n) => n))
    }
    expect(longest).toBeGreaterThanOrEqual(maxQueue - 1)
    expect(longest).toBeLessThanOrEqual(maxQueue)
  })

  it('hands the entries a killed consumer held to another consumer of its group, each handled once', async () => {
    const peer = await startPeer(prefix, 'stuck')
    peers.push(peer)
    const here = bus({ claimIdleMs: 500, maxAttempts: 3 })
    for (let n = 1; n <= 5; n++) await here.publish('work', { n })
    // The peer's three slots are taken: those entries are pending on it alone.
    await eventually(() => expect(peer.events.filter((event) => 'took' in event)).toHaveLength(3))
    peer.child.kill('SIGKILL')
    await peer.exited

    const handled: Array<{ n: number; attempt: number }> = []
    await here.subscribe<{ n: number }, void>('work', ({ n }, envelope) => void handled.push({ n, attempt: envelope.attempt }), { group: 'workers', concurrency: 5 })
    await eventually(() => expect(handled).toHaveLength(5), 15_000)
    await new Promise((done) => setTimeout(done, 800))
    expect(handled.map((item) => item.n).sort()).toEqual([1, 2, 3, 4, 5])
    const taken = peer.events.filter((event) => 'took' in event).map((event) => event.took)
    // What the dead consumer held comes back as a second delivery; the rest is a first.
    for (const item of handled) expect(item.attempt).toBe(taken.includes(item.n) ? 2 : 1)
    const stream = `${prefix}bus:stream:work`
    await eventually(async () => expect(((await redis.connection().xpending(stream, 'workers')) as unknown[])[0]).toBe(0))
    expect(await here.depth('work')).toBe(0)
  })
})
