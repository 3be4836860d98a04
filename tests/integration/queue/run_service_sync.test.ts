import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { E_TOOL_FAILED } from '../../../framework/errors'
import { createLogger } from '../../../framework/logger'
import { getMetrics } from '../../../framework/observability/metrics'
import { queueMetrics } from '../../../framework/queue/queue_metrics'
import { QueueWorker } from '../../../framework/queue/queue_worker'
import { RunService } from '../../../framework/queue/run_service'
import { RunStore, type RunRecord } from '../../../framework/queue/run_store'
import { SyncQueue } from '../../../framework/queue/sync_queue'
import { Router } from '../../../framework/routing'

/*
 * Background runs on the sync driver (the development default): the process
 * that dispatches a run executes it, through the same executor queue:work uses.
 */

const MIGRATIONS = join(__dirname, '..', '..', '..', 'database', 'migrations')
const WorkState = defineState({ mode: z.enum(['ok', 'slow', 'flaky', 'ask']), answer: z.string().optional(), decision: z.unknown().optional() })
type Work = StateOf<typeof WorkState>
let flakyCalls = 0
let okCalls = 0

class WorkAgent extends Agent<typeof WorkState> {
  state = WorkState
  build(graph: GraphBuilder<typeof WorkState>) {
    return graph.then(this.work)
  }

  async work(state: Work, ctx: NodeContext) {
    if (state.mode === 'slow') {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 30_000)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          reject(ctx.signal.reason)
        }, { once: true })
      })
    }
    if (state.mode === 'flaky' && ++flakyCalls <= 1) throw new E_TOOL_FAILED('flaky', 'first call fails')
    if (state.mode === 'ok') okCalls += 1
    return { answer: `done:${state.mode}` }
  }
}

class AskAgent extends WorkAgent {
  override build(graph: GraphBuilder<typeof WorkState>) {
    return graph.then(this.work).interrupt({ name: 'confirm', payload: () => ({ question: 'sure?' }), resumeInto: 'decision' }).then(this.work)
  }
}

describe('background runs on the sync driver', () => {
  let dir: string
  let db: DatabaseManager
  let runs: RunService

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'langvel-sync-runs-'))
    db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    const router = new Router()
    router.agent('/work', WorkAgent)
    router.agent('/ask', AskAgent)
    const logger = createLogger({ name: 'test', level: 'error' })
    const runner = new AgentRunner({ routes: router.routes(), logger })
    runs = new RunService({ store: new RunStore(() => db.connection()), queue: new SyncQueue({ attempts: 1, metrics: queueMetrics(new Registry()) }), runner: () => runner, runTimeoutSeconds: 2, concurrency: 2 })
  })

  afterAll(async () => {
    await runs.queue.close(100)
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function ended(id: string): Promise<RunRecord> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const run = await runs.get(id)
      if (!['pending', 'running'].includes(run.status)) return run
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${run.status}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it('executes a dispatched run in this process and records its output; the same idempotency key runs it once', async () => {
    const before = okCalls
    const first = await runs.dispatch({ route: '/work', input: { mode: 'ok' }, principal: { type: 'user', id: '1', permissions: [] }, idempotencyKey: 'once' })
    const again = await runs.dispatch({ route: '/work', input: { mode: 'ok' }, principal: { type: 'user', id: '1', permissions: [] }, idempotencyKey: 'once' })
    expect(again).toMatchObject({ created: false, run: { id: first.run.id } })
    expect(await ended(first.run.id)).toMatchObject({ status: 'success', attempts: 1, output: { mode: 'ok', answer: 'done:ok' }, errorCode: null })
    expect(okCalls - before).toBe(1)
    expect(await getMetrics().registry.getSingleMetricAsString('langvel_queue_run_seconds')).toContain('status="success"')
  })

  it('records a run stopped at an interrupt as interrupted, with its pending interrupts', async () => {
    const { run } = await runs.dispatch({ route: '/ask', input: { mode: 'ask' } })
    const done = await ended(run.id)
    expect(done.status).toBe('interrupted')
    expect(done.output).toMatchObject({ values: { answer: 'done:ask' }, interrupts: [{ value: { question: 'sure?' } }] })
  })

  it('ends a run with invalid input in error at once, with the error code', async () => {
    const { run } = await runs.dispatch({ route: '/work', input: { mode: 'nope' } })
    expect(await ended(run.id)).toMatchObject({ status: 'error', errorCode: 'E_VALIDATION', attempts: 1 })
  })

  it('ends a run past its timeout as timeout (E_TIMEOUT), and runs it again on retry', async () => {
    const { run } = await runs.dispatch({ route: '/work', input: { mode: 'slow' } })
    expect(await ended(run.id)).toMatchObject({ status: 'timeout', errorCode: 'E_TIMEOUT', attempts: 1 })
    expect((await runs.retry(run.id)).status).toBe('pending')
    expect(await ended(run.id)).toMatchObject({ status: 'timeout', errorCode: 'E_TIMEOUT', attempts: 2 })
  })

  it('cancels a running run through its signal, and refuses to cancel a run that ended', async () => {
    const { run } = await runs.dispatch({ route: '/work', input: { mode: 'slow' } })
    const deadline = Date.now() + 5000
    while ((await runs.get(run.id)).status !== 'running' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    await runs.cancel(run.id)
    expect(await ended(run.id)).toMatchObject({ status: 'cancelled', errorCode: 'E_RUN_CANCELLED' })
    await expect(runs.cancel(run.id)).rejects.toMatchObject({ code: 'E_RUN_STATE', status: 409 })
    await expect(runs.cancel('no-such-run')).rejects.toMatchObject({ code: 'E_RUN_NOT_FOUND', status: 404 })
  })

  it('retries a run that ended in error: it runs again and succeeds; a successful run cannot be retried', async () => {
    const { run } = await runs.dispatch({ route: '/work', input: { mode: 'flaky' } })
    expect(await ended(run.id)).toMatchObject({ status: 'error', errorCode: 'E_TOOL_FAILED', attempts: 1 })
    expect(await runs.queue.failed()).toEqual([expect.objectContaining({ runId: run.id })])
    await runs.retry(run.id)
    expect(await ended(run.id)).toMatchObject({ status: 'success', attempts: 2, output: { answer: 'done:flaky' } })
    await expect(runs.retry(run.id)).rejects.toMatchObject({ code: 'E_RUN_STATE' })
  })

  describe('the queue:work loop', () => {
    const service = (runner: () => AgentRunner) => new RunService({ store: new RunStore(() => db.connection()), queue: new SyncQueue({ metrics: queueMetrics(new Registry()) }), runner })

    it('stops after --max-jobs runs have settled and closes its queue', async () => {
      const router = new Router()
      router.agent('/work', WorkAgent)
      const runner = new AgentRunner({ routes: router.routes(), logger: createLogger({ name: 'test', level: 'error' }) })
      const local = service(() => runner)
      const worker = new QueueWorker({ runs: local, queue: local.queue, maxJobs: 2, graceMs: 1000 })
      const stopped = worker.run()
      const dispatched = await Promise.all([1, 2].map(() => local.dispatch({ route: '/work', input: { mode: 'ok' } })))
      await expect(stopped).resolves.toBe('max-jobs')
      for (const { run } of dispatched) expect((await local.get(run.id)).status).toBe('success')
      await expect(local.queue.enqueue('after-stop')).rejects.toMatchObject({ code: 'E_QUEUE_CLOSED' })
    })

    it('stops once resident memory passes --max-memory', async () => {
      const idle = new AgentRunner({ routes: [], logger: createLogger({ name: 'test', level: 'error' }) })
      const local = service(() => idle)
      const worker = new QueueWorker({ runs: local, queue: local.queue, maxMemoryMb: 1, graceMs: 100, memoryCheckMs: 10 })
      await expect(worker.run()).resolves.toBe('max-memory')
    })
  })
})
