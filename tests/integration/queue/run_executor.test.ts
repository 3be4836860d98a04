import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { AgentRunner, builtInRunMiddleware } from '../../../framework/agents/agent_runner'
import type { AgentMiddleware } from '../../../framework/agents/middleware'
import type { Principal } from '../../../framework/contracts/request_context'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { E_SERVICE_UNAVAILABLE } from '../../../framework/errors'
import { StoredRunThreads } from '../../../framework/langgraph_api/stored_run_threads'
import { ThreadStore } from '../../../framework/langgraph_api/thread_store'
import { createLogger } from '../../../framework/logger'
import { queueMetrics } from '../../../framework/queue/queue_metrics'
import { RunEndings } from '../../../framework/queue/run_endings'
import { RunExecutor } from '../../../framework/queue/run_executor'
import { RunService } from '../../../framework/queue/run_service'
import { RunStore, type RunRecord } from '../../../framework/queue/run_store'
import { SyncQueue } from '../../../framework/queue/sync_queue'
import { Router } from '../../../framework/routing'
import { MemoryRunEvents } from '../../../framework/run_events/memory_run_events'
import { WebhookSender } from '../../../framework/webhooks/webhook_sender'
import { until } from '../../e2e/support/processes'
import { Receiver } from '../../helpers/webhook_receiver'

/*
 * How the run executor runs an attempt: which thread state a later attempt
 * starts from, who the run acts as, which deadline bounds it, and that every
 * attempt goes through the route's run middleware.
 */

const MIGRATIONS = join(__dirname, '..', '..', '..', 'database', 'migrations')
const logger = createLogger({ name: 'test', level: 'error' })

const StepState = defineState({
  tag: z.string(),
  /** The second step throws a plain error on its first call for this tag (a crash mid-run). */
  crashSecond: z.boolean().default(false),
  waitMs: z.number().default(0),
  steps: z.array(z.string()).default([]),
})
type Step = StateOf<typeof StepState>

/** Calls of each step, by tag. */
const calls = new Map<string, string[]>()
const crashed = new Set<string>()
const note = (tag: string, step: string) => calls.set(tag, [...(calls.get(tag) ?? []), step])

class StepAgent extends Agent<typeof StepState> {
  state = StepState
  durability = 'sync' as const

  build(graph: GraphBuilder<typeof StepState>) {
    return graph.then(this.first).then(this.second)
  }

  async first(state: Step) {
    note(state.tag, 'first')
    return { steps: [...state.steps, `first:${state.tag}`] }
  }

  async second(state: Step) {
    if (state.waitMs) await new Promise((resolve) => setTimeout(resolve, state.waitMs))
    if (state.crashSecond && !crashed.has(state.tag)) {
      crashed.add(state.tag)
      throw new Error('worker crashed')
    }
    note(state.tag, 'second')
    return { steps: [...state.steps, `second:${state.tag}`] }
  }
}

/** What the run middleware saw of each attempt: its mode and principal. */
const seen: Array<{ tag: string; mode: string; principal: Principal | undefined }> = []
/** Tags whose first attempt dies in the middleware, before the graph wrote anything. */
const dieBeforeGraph = new Set<string>()

const observe = (): AgentMiddleware => ({
  name: 'observe',
  async handle(ctx, next) {
    const tag = (ctx.input as { tag?: string } | null)?.tag ?? (await ctx.instance.getState(ctx.options.threadId)).values.tag as string
    seen.push({ tag, mode: ctx.mode, principal: ctx.options.context?.principal })
    if (dieBeforeGraph.delete(tag)) throw new Error('worker crashed before the graph started')
    return next()
  },
})

describe('the run executor', () => {
  let dir: string
  let db: DatabaseManager
  let runner: AgentRunner
  let store: RunStore
  const services: RunService[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'langvel-run-executor-'))
    db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    const router = new Router()
    router.agent('/steps', StepAgent).middleware('observe')
    router.agent('/short', StepAgent).middleware('observe').timeout(1)
    const middleware = builtInRunMiddleware().register('observe', { stage: 'run', create: observe })
    runner = new AgentRunner({ routes: router.routes(), middleware, logger })
    store = new RunStore(() => db.connection())
  })

  afterAll(async () => {
    await Promise.all(services.map((service) => service.queue.close(100)))
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function service(options: { queue?: SyncQueue; runTimeoutSeconds?: number } = {}): RunService {
    const queue = options.queue ?? new SyncQueue({ attempts: 3, backoffMs: 10, metrics: queueMetrics(new Registry()) })
    const runs = new RunService({ store, queue, runner: () => runner, runTimeoutSeconds: options.runTimeoutSeconds, logger })
    services.push(runs)
    return runs
  }

  async function ended(runs: RunService, id: string): Promise<RunRecord> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const run = await runs.get(id)
      if (!['pending', 'running'].includes(run.status)) return run
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${run.status}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it('runs a second run on a used thread afresh when its first attempt died before writing a checkpoint, instead of taking the last run\'s output', async () => {
    const runs = service()
    const threadId = 'used-thread'
    const first = await runs.dispatch({ route: '/steps', threadId, input: { tag: 'run-1' } })
    expect(await ended(runs, first.run.id)).toMatchObject({ status: 'success', output: { tag: 'run-1' } })
    dieBeforeGraph.add('run-2')
    const second = await runs.dispatch({ route: '/steps', threadId, input: { tag: 'run-2' } })
    const done = await ended(runs, second.run.id)
    expect(done).toMatchObject({ status: 'success', attempts: 2, output: { tag: 'run-2' } })
    expect((done.output as Step).steps).toEqual(['first:run-1', 'second:run-1', 'first:run-2', 'second:run-2'])
    expect(calls.get('run-2')).toEqual(['first', 'second'])
    expect(seen.filter((entry) => entry.tag === 'run-2').map((entry) => entry.mode)).toEqual(['invoke', 'invoke'])
  })

  it('continues a run whose attempt died after a checkpoint of its own through the run middleware, without repeating finished steps', async () => {
    const runs = service()
    const { run } = await runs.dispatch({ route: '/steps', threadId: 'crash-thread', input: { tag: 'crash', crashSecond: true } })
    expect(await ended(runs, run.id)).toMatchObject({ status: 'success', attempts: 2, output: { steps: ['first:crash', 'second:crash'] } })
    expect(calls.get('crash')).toEqual(['first', 'second'])
    expect(seen.filter((entry) => entry.tag === 'crash').map((entry) => entry.mode)).toEqual(['invoke', 'continue'])
  })

  it('acts as the principal that created the run, exactly, and as no principal for an anonymous run', async () => {
    const runs = service()
    const principal: Principal = { type: 'user', id: '7', permissions: ['agents:run'], claims: { tenant: 'acme' } }
    const owned = await runs.dispatch({ route: '/steps', input: { tag: 'owned' }, principal })
    const anonymous = await runs.dispatch({ route: '/steps', input: { tag: 'anonymous' } })
    await ended(runs, owned.run.id)
    await ended(runs, anonymous.run.id)
    expect(seen.find((entry) => entry.tag === 'owned')?.principal).toEqual(principal)
    expect(seen.find((entry) => entry.tag === 'anonymous')?.principal).toBeUndefined()
  })

  it('bounds a run by QUEUE_RUN_TIMEOUT even when it is longer than the route\'s timeout', async () => {
    const runs = service({ runTimeoutSeconds: 5 })
    const { run } = await runs.dispatch({ route: '/short', input: { tag: 'long', waitMs: 1500 } })
    expect(await ended(runs, run.id)).toMatchObject({ status: 'success', output: { steps: ['first:long', 'second:long'] } })
  })

  it('leaves no pending row behind when the queue refuses the run', async () => {
    const count = async () => (await store.list({ limit: 1000 })).length
    const before = await count()
    const full = service({ queue: new SyncQueue({ syncMaxWaiting: 0, metrics: queueMetrics(new Registry()) }) })
    await expect(full.dispatch({ route: '/steps', input: { tag: 'full' } })).rejects.toMatchObject({ code: 'E_QUEUE_FULL' })
    class DownQueue extends SyncQueue {
      override async enqueue(): Promise<void> {
        throw new E_SERVICE_UNAVAILABLE('The run queue "down"')
      }
    }
    const down = service({ queue: new DownQueue({ metrics: queueMetrics(new Registry()) }) })
    await expect(down.dispatch({ route: '/steps', input: { tag: 'down' }, idempotencyKey: 'down-1' })).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
    expect(await count()).toBe(before)
  })

  it('puts a retried run back as it ended when the queue still holds its job', async () => {
    class BusyQueue extends SyncQueue {
      override async retry(): Promise<boolean> {
        return false
      }
    }
    const runs = service({ queue: new BusyQueue({ metrics: queueMetrics(new Registry()) }) })
    const { run } = await store.create({ route: '/steps', input: { tag: 'busy' } })
    const started = (await store.start(run))!
    await store.finish(run.id, started.attempts, { status: 'error', errorCode: 'E_TOOL_FAILED', error: 'boom' })
    await expect(runs.retry(run.id)).rejects.toMatchObject({ code: 'E_RUN_STATE', status: 409 })
    expect(await store.get(run.id)).toMatchObject({ status: 'error', errorCode: 'E_TOOL_FAILED', error: 'boom' })
  })

  it('ends a run the queue gave up on (it stalled too often) in error with E_RUN_STALLED', async () => {
    const executor = new RunExecutor({ store, runner, queueName: 'runs', maxStalled: 1, metrics: queueMetrics(new Registry()) })
    const { run } = await store.create({ route: '/steps', input: { tag: 'stalled' } })
    await store.start(run)
    await expect(executor.abandoned(run.id, { stalled: true, error: 'job stalled more than allowable limit' })).resolves.toBe(true)
    expect(await store.get(run.id)).toMatchObject({ status: 'error', errorCode: 'E_RUN_STALLED' })
    // A run that already ended keeps its outcome.
    await expect(executor.abandoned(run.id, { stalled: true, error: 'again' })).resolves.toBe(false)
  })

  it('observes the wait before a run starts once, for its first attempt only', async () => {
    const registry = new Registry()
    const metrics = queueMetrics(registry)
    const executor = new RunExecutor({ store, runner, queueName: 'runs', metrics })
    const job = (runId: string) => ({ runId, attempt: 1, maxAttempts: 3, enqueuedAt: Date.now() - 60_000, signal: new AbortController().signal, drain: new AbortController().signal })
    const count = async () => (await registry.getSingleMetric('langvel_queue_wait_seconds')!.get()).values.find((value) => (value as { metricName?: string }).metricName === 'langvel_queue_wait_seconds_count')?.value ?? 0
    // A run handed back after its first attempt: its next attempt is no new wait.
    const { run: resumed } = await store.create({ route: '/steps', input: { tag: 'wait-again' } })
    const first = (await store.start(resumed))!
    await store.release(resumed.id, first.attempts)
    await executor.execute(job(resumed.id))
    expect(await store.get(resumed.id)).toMatchObject({ status: 'success' })
    expect(await count()).toBe(0)
    const { run: fresh } = await store.create({ route: '/steps', input: { tag: 'wait-first' } })
    await executor.execute(job(fresh.id))
    expect(await count()).toBe(1)
  })
})

/**
 * What follows the end of a run on a stored thread of the LangGraph API
 * (its thread let go, its event log ended, its webhook sent), in the two
 * cases no worker that ran the run sees to it: a cancel that lands as the
 * run starts, and a run whose worker recorded its end and died before the rest.
 */
describe('the run executor settling runs on stored threads', () => {
  let dir: string
  let db: DatabaseManager
  let store: RunStore
  let threads: ThreadStore
  let events: MemoryRunEvents
  let webhooks: WebhookSender
  let receiver: Receiver
  const secret = randomBytes(32).toString('hex')
  /** The webhook bodies received, parsed. */
  const deliveries = () => receiver.received.map((delivery) => JSON.parse(delivery.body) as Record<string, unknown>)
  /** Runs cancelled (through the store) when the executor reads their thread's state, just before it marks where they start. */
  const cancelOnGetState = new Set<string>()

  /** The routes of the executor tests, with a hook in getState: what a cancel that lands between `start` and `markStart` looks like. */
  class CancellingRunner extends AgentRunner {
    override async getState(...args: Parameters<AgentRunner['getState']>) {
      for (const id of cancelOnGetState) {
        cancelOnGetState.delete(id)
        await store.transition(id, ['running'], 'cancelled', { errorCode: 'E_RUN_CANCELLED', error: 'The run was cancelled', cancelAction: 'interrupt' })
      }
      return super.getState(...args)
    }
  }
  let runner: CancellingRunner

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'langvel-run-settle-'))
    db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    const router = new Router()
    router.agent('/steps', StepAgent)
    runner = new CancellingRunner({ routes: router.routes(), middleware: builtInRunMiddleware(), logger })
    store = new RunStore(() => db.connection())
    threads = new ThreadStore(() => db.connection(), db.dialect)
    events = new MemoryRunEvents()
    receiver = await new Receiver().start()
    const port = receiver.port
    webhooks = new WebhookSender({ secret, allowedHosts: [`127.0.0.1:${port}`], logger })
  })

  afterAll(async () => {
    await webhooks.close(1000)
    await events.close()
    await receiver.stop()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function executor(): RunExecutor {
    const endings = new RunEndings({ store, events: () => events, webhooks: () => webhooks, threads: new StoredRunThreads(threads, runner), logger })
    return new RunExecutor({ store, runner, queueName: 'runs', logger, events: () => events, endings, metrics: queueMetrics(new Registry()) })
  }

  const job = (runId: string) => ({ runId, attempt: 1, maxAttempts: 3, enqueuedAt: Date.now(), signal: new AbortController().signal, drain: new AbortController().signal })

  /** A stored thread of the LangGraph API, bound to /steps, and a background run on it with a webhook. */
  async function storedRun(tag: string): Promise<RunRecord> {
    const threadId = `thread-${tag}`
    await threads.create({ threadId, owner: null, metadata: {}, assistantId: 'steps', route: '/steps' })
    const { run } = await store.create({ route: '/steps', threadId, input: { tag }, webhook: receiver.url(), options: { storedThread: true } })
    return run
  }

  /** The run's stored events, without waiting for more. */
  async function storedEvents(runId: string): Promise<string[]> {
    const names: string[] = []
    for await (const event of events.read(runId, { follow: false })) names.push(event.event)
    return names
  }

  it('ends a run cancelled as it starts as cancelled: its thread let go, its event log ended, its webhook sent', async () => {
    const run = await storedRun('cancel-as-it-starts')
    cancelOnGetState.add(run.id)
    await executor().execute(job(run.id))
    expect(cancelOnGetState.has(run.id)).toBe(false)
    expect(await store.get(run.id)).toMatchObject({ status: 'cancelled', errorCode: 'E_RUN_CANCELLED', startCheckpoint: null })
    // The graph never ran.
    expect(calls.get('cancel-as-it-starts')).toBeUndefined()
    const thread = await threads.get(run.threadId)
    expect(thread?.status).not.toBe('busy')
    expect(await threads.heldBy(run.threadId, `run:${run.id}`)).toBe(false)
    expect((await storedEvents(run.id)).at(-1)).toBe('end')
    await expect(events.append(run.id, { event: 'values', data: {} })).rejects.toMatchObject({ code: 'E_RUN_ENDED' })
    const hook = await until(() => deliveries().find((body) => body.run_id === run.id), Boolean, 'the webhook of the cancelled run')
    expect(hook).toMatchObject({ status: 'cancelled', error: { code: 'E_RUN_CANCELLED' } })
  })

  it('settles a run found ended that still holds its thread (its worker died after recording the end) when its job runs again', async () => {
    const run = await storedRun('ended-unsettled')
    // The dead worker: started the run, took its thread, recorded its end, and nothing after.
    const started = (await store.start(run))!
    expect(await threads.acquire(run.threadId, 0, `run:${run.id}`)).toBe(`run:${run.id}`)
    await events.append(run.id, { event: 'metadata', data: { run_id: run.id, attempt: 1 } })
    expect(await store.finish(run.id, started.attempts, { status: 'success', output: { tag: 'ended-unsettled', steps: [] } })).toBe(true)
    expect((await threads.get(run.threadId))?.status).toBe('busy')

    await executor().execute(job(run.id))
    expect(await store.get(run.id)).toMatchObject({ status: 'success', attempts: 1 })
    expect(calls.get('ended-unsettled')).toBeUndefined()
    expect(await threads.heldBy(run.threadId, `run:${run.id}`)).toBe(false)
    expect((await threads.get(run.threadId))?.status).not.toBe('busy')
    expect(await storedEvents(run.id)).toEqual(['metadata', 'end'])
    const hook = await until(() => deliveries().find((body) => body.run_id === run.id), Boolean, 'the webhook of the settled run')
    expect(hook).toMatchObject({ status: 'success' })
  })
})
