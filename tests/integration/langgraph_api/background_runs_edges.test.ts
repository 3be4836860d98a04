import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import type { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import type { RunRecord } from '../../../framework/queue/run_store'
import { Router } from '../../../framework/routing/router'
import { until } from '../../e2e/support/processes'
import { parseSse } from '../http/support/sse'
import { bootMigratedApp, gates, SlowAgent, SlowState } from './support/protocol_app'
import { Receiver } from '../../helpers/webhook_receiver'
import { refusal } from './support/refusal'

const SECRET = randomBytes(32).toString('hex')
/** What the failing node's error carries: no client may ever read it. */
const INTERNAL = 'postgres://admin:hunter2-internal@db.internal:5432'

/** Fails in its only node with a plain error whose message holds internals. */
class LeakyAgent extends Agent<typeof SlowState> {
  state = SlowState

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.fail)
  }

  fail(): Partial<StateOf<typeof SlowState>> {
    throw new Error(`connect ECONNREFUSED ${INTERNAL}`)
  }
}

let receiver: Receiver
let hookUrl: string

beforeAll(async () => {
  receiver = await new Receiver().start()
  hookUrl = receiver.url()
})

afterAll(async () => {
  await receiver.stop()
})

/** The first webhook delivered for the run, waited for. */
async function deliveryOf(runId: string): Promise<{ text: string; body: Record<string, unknown> }> {
  const parsed = () => receiver.received.map((delivery) => ({ text: delivery.body, body: JSON.parse(delivery.body) as Record<string, unknown> }))
  const found = await until(() => parsed().find((delivery) => delivery.body.run_id === runId), Boolean, `the webhook of run ${runId}`)
  return found as { text: string; body: Record<string, unknown> }
}

/** A served application with the LangGraph API on, background runs on the sync driver. */
async function serve(base: string, env: Record<string, string>): Promise<{ app: Application; server: HttpServer; url: string }> {
  const port = new URL(hookUrl).port
  const app = await bootMigratedApp(base, { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${port}`, QUEUE_ATTEMPTS: '1', ...env })
  const router = new Router()
  router.agent('/echo', EchoAgent).name('echo')
  router.agent('/slow', SlowAgent).name('slow')
  router.agent('/leaky', LeakyAgent).name('leaky')
  // A route behind auth: requests with credentials are then identified on every endpoint, so what they create is their principal's.
  router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
    router.agent('/echo', EchoAgent).name('secure-echo')
  })
  const checkpointers = app.make('checkpointer')
  const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
  app.singleton('agents', () => runner)
  const server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
  const url = (await server.listen(0, '127.0.0.1')).url
  return { app, server, url }
}

/**
 * Edge cases of background runs of the LangGraph API (sync driver, SQLite,
 * the memory event log): multitask strategies on a busy thread, thread-less
 * runs, idempotency keys across callers, webhooks of runs that failed or
 * were cancelled, a deleted thread, and a run that ended long ago.
 */
describe('background runs of the LangGraph API: edge cases', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-bg-edges-'))
  let app: Application
  let server: HttpServer
  let url: string
  let client: Client
  const bearer = (subject: string) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions: [] }).token}`
  const clientAs = (subject: string) => new Client({ apiUrl: url, apiKey: null, defaultHeaders: { authorization: bearer(subject) }, callerOptions: { maxRetries: 0 } })
  const stored = (id: string): Promise<RunRecord | undefined> => app.make('runs').store.get(id)

  async function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: response.status, body: await response.json() }
  }

  beforeAll(async () => {
    ;({ app, server, url } = await serve(base, {}))
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    for (const release of gates.splice(0)) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  it('enqueue: a second run on a busy thread waits for it, then runs after the first', async () => {
    const thread = await client.threads.create()
    const first = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'first' } })
    await until(async () => (await stored(first.run_id))?.status === 'running' && gates.length === 1, Boolean, 'the first run to hold its gate')
    const second = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'second' }, multitaskStrategy: 'enqueue' })
    expect(second).toMatchObject({ status: 'pending', multitask_strategy: 'enqueue' })
    // Started by its worker, it waits there for the thread the first run holds.
    await until(async () => (await stored(second.run_id))?.status, (status) => status === 'running', 'the second run to start waiting')
    expect(gates).toHaveLength(1)
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    gates.shift()?.()
    await until(() => gates.length, (count) => count === 1, 'the second run to hold its gate')
    // It reached its node only once the first had ended and let the thread go.
    expect((await stored(first.run_id))?.status).toBe('success')
    gates.shift()?.()
    expect(await client.runs.join(thread.thread_id, second.run_id)).toEqual({ label: 'second done' })
    const [a, b] = [(await stored(first.run_id))!, (await stored(second.run_id))!]
    expect([a.status, b.status]).toEqual(['success', 'success'])
    expect(a.endedAt!).toBeLessThanOrEqual(b.endedAt!)
    expect(await client.runs.get(thread.thread_id, first.run_id)).toMatchObject({ status: 'success' })
    expect(await client.threads.get(thread.thread_id)).toMatchObject({ status: 'idle', values: { label: 'second done' } })
  })

  it('interrupt: a second run on a busy thread cancels the first (it reads interrupted), then runs', async () => {
    const thread = await client.threads.create()
    const first = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'first' } })
    await until(async () => (await stored(first.run_id))?.status === 'running' && gates.length === 1, Boolean, 'the first run to hold its gate')
    const second = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'second' }, multitaskStrategy: 'interrupt' })
    expect(await client.runs.get(thread.thread_id, first.run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    // The first run's node stays blocked on its gate (it ignores the abort): the second one adds its own.
    await until(() => gates.length, (count) => count === 2, 'the second run to hold its gate')
    for (const release of gates.splice(0)) release()
    expect(await client.runs.join(thread.thread_id, second.run_id)).toEqual({ label: 'second done' })
    expect(await client.runs.get(thread.thread_id, second.run_id)).toMatchObject({ status: 'success' })
    expect((await stored(first.run_id))?.status).toBe('cancelled')
  })

  it('streams a thread-less run at /runs/{run_id}/stream to its creator, and answers another principal 404', async () => {
    const sam = clientAs('sam')
    const run = await sam.runs.create(null, 'echo', { input: { query: 'no thread' } })
    await sam.runs.join(run.thread_id, run.run_id)
    const response = await fetch(`${url}/runs/${run.run_id}/stream`, { headers: { authorization: bearer('sam') } })
    expect(response.status).toBe(200)
    const events = parseSse(await response.text()).events
    expect(events[0]).toMatchObject({ event: 'metadata', data: { run_id: run.run_id } })
    expect(events.slice(1).every((event) => event.event === 'values')).toBe(true)
    expect(events.at(-1)?.data).toMatchObject({ response: 'Processed: no thread' })
    const other = await fetch(`${url}/runs/${run.run_id}/stream`, { headers: { authorization: bearer('bob') } })
    expect(other.status).toBe(404)
    expect(await other.text()).not.toContain('no thread')
    expect((await fetch(`${url}/runs/${run.run_id}/stream`)).status).toBe(404)
  })

  it('refuses an anonymous idempotency key without a thread, or reused on another thread; two principals with one key get two runs', async () => {
    const key = `key-${randomBytes(4).toString('hex')}`
    const anonymous = await post('/runs', { assistant_id: 'echo', input: { query: 'x' } }, { 'idempotency-key': key })
    expect(anonymous.status).toBe(422)
    expect(JSON.stringify(anonymous.body)).toContain('idempotency_key')

    const [a, b] = [await client.threads.create(), await client.threads.create()]
    const onA = await post(`/threads/${a.thread_id}/runs`, { assistant_id: 'echo', input: { query: 'a' } }, { 'idempotency-key': key })
    expect(onA.status).toBe(200)
    await client.runs.join(a.thread_id, onA.body.run_id)
    const onB = await post(`/threads/${b.thread_id}/runs`, { assistant_id: 'echo', input: { query: 'b' } }, { 'idempotency-key': key })
    expect(onB.status).toBe(422)
    expect(JSON.stringify(onB.body)).toContain('idempotency_key')
    expect(JSON.stringify(onB.body)).not.toContain(onA.body.run_id)
    expect(await client.runs.list(b.thread_id)).toEqual([])

    const shared = `shared-${randomBytes(4).toString('hex')}`
    const bySam = await post('/runs', { assistant_id: 'echo', input: { query: 'sam' } }, { 'idempotency-key': shared, authorization: bearer('sam') })
    const byBob = await post('/runs', { assistant_id: 'echo', input: { query: 'bob' } }, { 'idempotency-key': shared, authorization: bearer('bob') })
    expect([bySam, byBob]).toMatchObject([{ status: 200 }, { status: 200 }])
    expect(byBob.body.run_id).not.toBe(bySam.body.run_id)
    expect(byBob.body.thread_id).not.toBe(bySam.body.thread_id)
    // Each principal's key still answers its own run.
    const again = await post('/runs', { assistant_id: 'echo', input: { query: 'sam' } }, { 'idempotency-key': shared, authorization: bearer('sam') })
    expect(again.body.run_id).toBe(bySam.body.run_id)
    expect(await clientAs('bob').runs.join(byBob.body.thread_id, byBob.body.run_id)).toMatchObject({ response: 'Processed: bob' })
  })

  it('deletes the stored thread of a thread-less run with on_completion delete once the run ends', async () => {
    const created = await post('/runs', { assistant_id: 'echo', input: { query: 'gone' }, on_completion: 'delete' })
    expect(created.status).toBe(200)
    const { run_id: runId, thread_id: threadId } = created.body as { run_id: string; thread_id: string }
    await until(async () => (await stored(runId))?.status, (status) => status === 'success', 'the run to end')
    // Settled: the thread is deleted, or (were it kept) let go by the run.
    await until(() => client.threads.get(threadId).then((thread) => thread.status, () => 'gone'), (status) => status !== 'busy', 'the run to let its thread go')
    expect(await refusal(client.threads.get(threadId))).toMatchObject({ status: 404 })
    expect(await refusal(client.threads.getState(threadId))).toMatchObject({ status: 404 })
  })

  it('sends the webhook of a failed run with its code and a generic message: its internals reach no client', async () => {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'leaky', { input: { label: 'x' }, webhook: hookUrl })
    const joined = (await client.runs.join(thread.thread_id, run.run_id)) as { __error__?: { error: string; message: string } }
    expect(joined.__error__).toMatchObject({ error: 'E_RUNTIME', message: expect.any(String) })
    expect(JSON.stringify(joined)).not.toContain('hunter2')
    const stored_ = await client.threads.get(thread.thread_id)
    expect(stored_.status).toBe('error')
    expect(JSON.stringify(stored_)).not.toContain('hunter2')
    const delivery = await deliveryOf(run.run_id)
    expect(delivery.body).toMatchObject({ run_id: run.run_id, status: 'error', error: { code: 'E_RUNTIME', message: expect.any(String) }, output: null })
    expect(delivery.text).not.toContain('hunter2')
    expect(delivery.text).not.toContain('ECONNREFUSED')
    const streamed = await (await fetch(`${url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`)).text()
    expect(streamed).toContain('E_RUNTIME')
    expect(streamed).not.toContain('hunter2')
    expect(JSON.stringify(await client.threads.getState(thread.thread_id))).not.toContain('hunter2')
  })

  it('sends the webhook of a cancelled run with status cancelled', async () => {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'hooked' }, webhook: hookUrl })
    await until(async () => (await stored(run.run_id))?.status === 'running' && gates.length === 1, Boolean, 'the run to hold its gate')
    await client.runs.cancel(thread.thread_id, run.run_id, true)
    const delivery = await deliveryOf(run.run_id)
    expect(delivery.body).toMatchObject({ run_id: run.run_id, thread_id: thread.thread_id, status: 'cancelled', error: { code: 'E_RUN_CANCELLED' } })
    gates.shift()?.()
  })

  it('answers the stream of a run that ended long ago at once with the events kept, though its log never got its end', async () => {
    const thread = await client.threads.create()
    const runs = app.make('runs')
    // A run whose worker recorded its end, then died before ending its event log; all that an hour ago.
    const { run } = await runs.store.create({ route: '/echo', assistantId: 'echo', threadId: thread.thread_id, input: { query: 'old' }, options: { storedThread: true, streamModes: ['values'] } })
    const started = (await runs.store.start(run))!
    const log = runs.events!
    await log.append(run.id, { event: 'metadata', data: { run_id: run.id, thread_id: thread.thread_id, attempt: 1 } })
    await log.append(run.id, { event: 'values', data: { query: 'old', response: 'Processed: old' } })
    expect(await runs.store.finish(run.id, started.attempts, { status: 'success', output: { query: 'old', response: 'Processed: old' } })).toBe(true)
    await app.make('db').connection()('runs').where({ id: run.id }).update({ ended_at: Date.now() - 3_600_000 })
    // A stream that waited for more would never answer: the request gives up long before the test does.
    const response = await fetch(`${url}/threads/${thread.thread_id}/runs/${run.id}/stream`, { signal: AbortSignal.timeout(15_000) })
    expect(response.status).toBe(200)
    const events = parseSse(await response.text()).events
    expect(events.map((event) => event.event)).toEqual(['metadata', 'values'])
    expect(events[1].data).toEqual({ query: 'old', response: 'Processed: old' })
  }, 30_000)
})

/**
 * One run at a time (QUEUE_CONCURRENCY=1): a run waits as `pending` while a
 * slow one holds the slot, so what happens to a run that never started can be seen.
 */
describe('background runs of the LangGraph API: runs that never started', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-bg-pending-'))
  let app: Application
  let server: HttpServer
  let client: Client
  const stored = (id: string): Promise<RunRecord | undefined> => app.make('runs').store.get(id)

  beforeAll(async () => {
    let url: string
    ;({ app, server, url } = await serve(base, { QUEUE_CONCURRENCY: '1' }))
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    for (const release of gates.splice(0)) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  /** A slow run on a thread of its own, holding the only slot until its gate is released. */
  async function occupySlot(): Promise<{ threadId: string; runId: string }> {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'slot' } })
    await until(async () => (await stored(run.run_id))?.status === 'running' && gates.length === 1, Boolean, 'the slow run to hold the slot')
    return { threadId: thread.thread_id, runId: run.run_id }
  }

  /** Releases the slot and runs one more run after it, so every job queued before has been taken. */
  async function drainQueue(slot: { threadId: string; runId: string }): Promise<void> {
    gates.shift()?.()
    await client.runs.join(slot.threadId, slot.runId)
    const thread = await client.threads.create()
    const last = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'last' } })
    expect(await client.runs.join(thread.thread_id, last.run_id)).toMatchObject({ response: 'Processed: last' })
  }

  it('cancels a pending run: it reads interrupted at once, its stream ends, join answers, and it never starts', async () => {
    const slot = await occupySlot()
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'never' }, webhook: hookUrl })
    expect((await stored(run.run_id))?.status).toBe('pending')
    await client.runs.cancel(thread.thread_id, run.run_id)
    expect(await client.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    const parts: string[] = []
    for await (const part of client.runs.joinStream(thread.thread_id, run.run_id)) parts.push(part.event)
    expect(parts).not.toContain('values')
    expect(await client.runs.join(thread.thread_id, run.run_id)).toEqual({})
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    expect((await deliveryOf(run.run_id)).body).toMatchObject({ status: 'cancelled' })

    await drainQueue(slot)
    expect(await stored(run.run_id)).toMatchObject({ status: 'cancelled', attempts: 0, startedAt: null, startCheckpoint: null })
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({})
  })

  it('deleting a thread cancels its pending background runs and forgets its ended ones', async () => {
    const thread = await client.threads.create()
    const ended = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'before' } })
    await client.runs.join(thread.thread_id, ended.run_id)
    const slot = await occupySlot()
    const pending = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'after' }, webhook: hookUrl })
    expect((await stored(pending.run_id))?.status).toBe('pending')

    await client.threads.delete(thread.thread_id)
    expect(await refusal(client.threads.get(thread.thread_id))).toMatchObject({ status: 404 })
    expect(await app.make('runs').store.list({ threadId: thread.thread_id })).toEqual([])
    // The pending run was cancelled (its webhook says so) before its record went with the thread's.
    expect((await deliveryOf(pending.run_id)).body).toMatchObject({ status: 'cancelled' })

    await drainQueue(slot)
    expect(await stored(pending.run_id)).toBeUndefined()
    expect(await stored(ended.run_id)).toBeUndefined()
    expect(await refusal(client.threads.get(thread.thread_id))).toMatchObject({ status: 404 })
  })
})
