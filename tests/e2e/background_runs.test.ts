import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { DatabaseManager } from '../../framework/database/database_manager'
import { Migrator } from '../../framework/database/migrator'
import { BullmqQueue } from '../../framework/queue/bullmq_queue'
import { queueMetrics } from '../../framework/queue/queue_metrics'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../helpers/services'
import { httpCall, spawnServe, until, type ServedProcess } from './support/processes'
import { Receiver, signedWith } from '../helpers/webhook_receiver'
import { stepsProject } from './support/steps_project'

/*
 * Background runs of the LangGraph API across processes: two `langvel serve`
 * instances take the requests, one `langvel queue:work` executes the runs
 * (QUEUE_DRIVER=bullmq), their events go through Redis Streams
 * (RUN_EVENTS_DRIVER=redis) and their threads and checkpoints live in one
 * PostgreSQL database. The agent is the steps agent of tests/fixtures/queue,
 * whose steps record on a Redis list which process ran them.
 */

const ROOT = join(__dirname, '..', '..')
const MIGRATIONS = join(ROOT, 'database', 'migrations')
const SECRET = randomBytes(32).toString('hex')
const ASSISTANT = 'steps'

interface StreamEvent {
  id: string | undefined
  event: string
  data: unknown
}

/**
 * Reads a Server-Sent Events response frame by frame; with `stopAfter`,
 * aborts the request once that many events arrived (a client that goes away).
 */
async function readEvents(url: string, options: { headers?: Record<string, string>; stopAfter?: number } = {}): Promise<StreamEvent[]> {
  const controller = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal: controller.signal })
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  const events: StreamEvent[] = []
  const decoder = new TextDecoder()
  const reader = response.body.getReader()
  let buffered = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffered += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const frame = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const fields = new Map<string, string>()
        for (const line of frame.split('\n')) {
          const colon = line.indexOf(':')
          // A heartbeat is a comment line: no field.
          if (colon <= 0) continue
          fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''))
        }
        if (!fields.has('event')) continue
        events.push({ id: fields.get('id'), event: fields.get('event') as string, data: JSON.parse(fields.get('data') ?? 'null') })
        if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
          controller.abort()
          return events
        }
      }
    }
  } finally {
    reader.releaseLock()
  }
  return events
}

const describeServices = (title: string, body: () => void) => describeWithPostgres(title, () => describeWithRedis(title, body))

describeServices('background runs across serve and queue:work processes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-bg-e2e-'))
  const database = `langvel_bg_${randomBytes(6).toString('hex')}`
  const prefix = `test-bg-${randomUUID()}:`
  const queueName = 'runs'
  const children: ChildProcess[] = []
  let admin: DatabaseManager
  let redis: Redis
  let queue: BullmqQueue
  let receiver: Receiver
  let worker: { child: ChildProcess; output: () => string }
  let serveA: ServedProcess
  let serveB: ServedProcess
  let clientA: Client
  let clientB: Client

  beforeAll(async () => {
    receiver = await new Receiver().start()
    admin = new DatabaseManager({ url: POSTGRES_URL, basePath: tmpdir(), pool: { min: 0, max: 1 } })
    await admin.connection().raw(`create database ${database}`)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${database}`
    const db = new DatabaseManager({ url: url.toString(), basePath: tmpdir(), pool: { min: 0, max: 1 } })
    try {
      await new Migrator(db, { directory: MIGRATIONS }).latest()
    } finally {
      await db.close()
    }
    redis = new Redis(REDIS_URL)
    queue = new BullmqQueue({ url: REDIS_URL, prefix, name: queueName, metrics: queueMetrics(new Registry()) })

    const project = stepsProject(scratch, { databaseUrl: url.toString(), prefix, queueName, manifests: ['serverCommands', 'queueCommands'], name: ASSISTANT })
    const cli = project.cli
    const env: Record<string, string> = {
      ...project.env,
      APP_ENV: 'test',
      JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
      WEBHOOK_RETRY_BASE_MS: '20',
    }

    const child = spawn(process.execPath, [cli, 'queue:work'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let output = ''
    child.stdout!.on('data', (data) => (output += data))
    child.stderr!.on('data', (data) => (output += data))
    worker = { child, output: () => output }
    await until(() => output, (text) => text.includes('working queue') || child.exitCode !== null, 'the worker to start', 60_000)
    if (!output.includes('working queue')) throw new Error(`the worker did not start:\n${output}`)

    ;[serveA, serveB] = await Promise.all([spawnServe(cli, [], { cwd: ROOT, env, children }), spawnServe(cli, [], { cwd: ROOT, env, children })])
    clientA = new Client({ apiUrl: serveA.url, apiKey: null, callerOptions: { maxRetries: 0 } })
    clientB = new Client({ apiUrl: serveB.url, apiKey: null, callerOptions: { maxRetries: 0 } })
  }, 120_000)

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)))
    await queue?.close(100)
    if (redis) {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    }
    await admin?.connection().raw(`drop database if exists ${database} with (force)`)
    await admin?.close()
    await receiver?.stop()
    rmSync(scratch, { recursive: true, force: true })
  }, 60_000)

  const logs = () => [worker, serveA, serveB].map((process) => process?.output() ?? '').join('\n')
  const newList = () => `${prefix}steps:${randomUUID()}`
  const steps = async (list: string) => (await redis.lrange(list, 0, -1)).map((entry) => entry.split(':')[0])
  const streamUrl = (served: ServedProcess, threadId: string, runId: string) => `${served.url}/threads/${threadId}/runs/${runId}/stream`

  it('serves the steps route as the assistant of that name on both instances', async () => {
    for (const client of [clientA, clientB]) expect((await client.assistants.search()).map((assistant) => assistant.assistant_id)).toEqual([ASSISTANT])
  })

  it('a client that left instance A re-attaches on instance B after its Last-Event-ID and gets every later event once', async () => {
    const thread = await clientA.threads.create()
    const list = newList()
    const run = await clientA.runs.create(thread.thread_id, ASSISTANT, { input: { list, slowMs: 1500 }, streamMode: ['values', 'updates'] })
    expect(run.status).toBe('pending')

    const head = await readEvents(streamUrl(serveA, thread.thread_id, run.run_id), { stopAfter: 2 })
    expect(head.map((event) => event.event)).toEqual(['metadata', 'values'])
    const last = head[1].id as string
    expect(last).toMatch(/^\d+-\d+$/)
    // The run is still going: B follows it live from the shared log, not a finished replay.
    expect(['pending', 'running']).toContain((await clientB.runs.get(thread.thread_id, run.run_id)).status)
    const rest = await readEvents(streamUrl(serveB, thread.thread_id, run.run_id), { headers: { 'last-event-id': last } })

    const full = await readEvents(streamUrl(serveB, thread.thread_id, run.run_id))
    expect(full.map((event) => event.event)).toEqual(['metadata', 'values', 'updates', 'values', 'updates', 'values', 'updates', 'values'])
    expect(new Set(full.map((event) => event.id)).size).toBe(full.length)
    expect([...head, ...rest]).toEqual(full)
    expect(full[0].data).toEqual({ run_id: run.run_id, attempt: 1 })
    expect(full.at(-1)?.data).toEqual({ list, slowMs: 1500, fail: false, done: ['first', 'second', 'third'] })

    // The SDK's own re-attach on B (its lastEventId option) gets the same rest.
    const resumed: Array<{ event: string; data: unknown }> = []
    for await (const part of clientB.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: last })) resumed.push({ event: part.event, data: part.data })
    expect(resumed).toEqual(rest.map(({ event, data }) => ({ event, data })))
    expect(await steps(list)).toEqual(['first', 'second-started', 'second', 'third'])
  }, 60_000)

  it('joins on instance B a run created on instance A and reads it there as a success', async () => {
    const thread = await clientA.threads.create()
    const list = newList()
    const run = await clientA.runs.create(thread.thread_id, ASSISTANT, { input: { list, slowMs: 500 } })
    expect(await clientB.runs.join(thread.thread_id, run.run_id)).toEqual({ list, slowMs: 500, fail: false, done: ['first', 'second', 'third'] })
    expect(await clientB.runs.get(thread.thread_id, run.run_id)).toMatchObject({ run_id: run.run_id, thread_id: thread.thread_id, assistant_id: ASSISTANT, status: 'success' })
    expect(await clientB.threads.get(thread.thread_id)).toMatchObject({ status: 'idle', values: { done: ['first', 'second', 'third'] } })
  }, 60_000)

  it('cancels from instance B a run the worker holds: it reads interrupted, its later steps never run, its thread is let go', async () => {
    const thread = await clientA.threads.create()
    const list = newList()
    const run = await clientA.runs.create(thread.thread_id, ASSISTANT, { input: { list, slowMs: 60_000 } })
    await until(() => steps(list), (recorded) => recorded.includes('second-started'), 'the second step to start', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${logs()}`)
    })
    await clientB.runs.cancel(thread.thread_id, run.run_id, true)
    expect(await clientB.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    expect((await clientB.threads.get(thread.thread_id)).status).not.toBe('busy')
    // The step waits 60 s unless its signal aborts: the job leaving `active` shows the worker stopped it.
    await until(() => queue.counts(), (counts) => counts.active === 0, 'the worker to stop the run', 15_000)
    const recorded = await steps(list)
    expect(recorded).toEqual(['first', 'second-started'])
    // The thread takes a new run at once (multitask reject would refuse a busy one), from where the interrupted run stopped.
    const next = await clientB.runs.create(thread.thread_id, ASSISTANT, { input: { list, slowMs: 0 } })
    expect(await clientA.runs.join(thread.thread_id, next.run_id)).toMatchObject({ done: ['first', 'first', 'second', 'third'] })
    expect(await steps(list)).toEqual(['first', 'second-started', 'first', 'second-started', 'second', 'third'])
  }, 60_000)

  it('the worker POSTs the ended run to its webhook, signed, and delivers it again after a 500', async () => {
    const thread = await clientA.threads.create()
    const list = newList()
    // The receiver fails the first delivery: the worker delivers it again.
    receiver.script.push(500)
    const run = await clientA.runs.create(thread.thread_id, ASSISTANT, { input: { list, slowMs: 0 }, webhook: receiver.url() })
    await clientB.runs.join(thread.thread_id, run.run_id)
    const mine = () => receiver.received.filter((delivery) => (JSON.parse(delivery.body) as { run_id: string }).run_id === run.run_id)
    await until(() => mine().length, (count) => count >= 2, 'two webhook deliveries', 20_000)
    const [first, second] = mine()
    expect(mine()).toHaveLength(2)
    expect([signedWith(first, SECRET), signedWith(second, SECRET)]).toEqual([true, true])
    expect(first.headers['x-langvel-delivery']).toEqual(expect.any(String))
    expect(second.headers['x-langvel-delivery']).toBe(first.headers['x-langvel-delivery'])
    for (const delivery of [first, second]) {
      expect(JSON.parse(delivery.body)).toMatchObject({ run_id: run.run_id, thread_id: thread.thread_id, status: 'success', output: { done: ['first', 'second', 'third'] }, error: null })
    }
  }, 60_000)

  it('GET /metrics on a serve instance reports the depth of the queue the worker consumes', async () => {
    const counts = await queue.counts()
    expect(counts.completed).toBeGreaterThanOrEqual(4)
    const answer = await httpCall(`${serveB.url}/metrics`)
    expect(answer.status).toBe(200)
    const line = new RegExp(`^langvel_queue_jobs\\{queue="${queueName}",state="completed"\\} (\\d+)$`, 'm').exec(answer.text)
    expect(line?.[0]).toBeDefined()
    expect(Number(line?.[1])).toBe(counts.completed)
  }, 30_000)
})
