import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { RunEvent } from '../../../framework/contracts/run_events'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { RedisRunEvents } from '../../../framework/run_events/redis_run_events'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { eventually } from '../../unit/run_events/run_events_conformance'

const PEER = resolve(__dirname, 'fixtures', 'append_peer.ts')
const ROOT = resolve(__dirname, '..', '..', '..')

describeWithRedis('RedisRunEvents between processes', () => {
  let redis: RedisManager
  let child: ChildProcess | undefined
  const prefix = `test:run-events-${randomUUID()}:`

  beforeAll(() => {
    redis = new RedisManager({ url: REDIS_URL, prefix: 'test:' })
  })
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
    await redis.close()
  })

  it('a reader resuming with a Last-Event-ID gets exactly the events it missed from another process, then the live ones', async () => {
    const runId = `run-${randomUUID()}`
    const appended: Array<{ n: number; id: string }> = []
    child = spawn(process.execPath, ['--import', 'tsx', PEER, JSON.stringify({ url: REDIS_URL, prefix, runId, first: 6, then: 5 })], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<number | null>((done) => child?.once('exit', (code) => done(code)))
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => appended.push(JSON.parse(line) as { n: number; id: string }))
    await eventually(() => expect(appended).toHaveLength(6), 30_000)

    // Our own connection, as a server process answering a reconnecting client would have.
    const log = new RedisRunEvents({ connection: redis.connection(), prefix, blockMs: 200 })
    const received: RunEvent[] = []
    const reading = (async () => {
      for await (const event of log.read(runId, { after: appended[2].id })) received.push(event)
    })()
    await eventually(() => expect(received).toHaveLength(3))
    expect(received.map((event) => event.id)).toEqual(appended.slice(3).map((entry) => entry.id))

    child.stdin?.write('go\n')
    await reading
    expect(await exited).toBe(0)
    expect(received.map((event) => (event.data as { n: number }).n)).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(new Set(received.map((event) => (event.data as { pid: number }).pid))).toEqual(new Set([child.pid]))
    expect(new Set(received.map((event) => event.id)).size).toBe(received.length)
    await log.close()
  })
})
