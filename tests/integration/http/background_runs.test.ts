import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import type { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { bootMigratedApp } from '../langgraph_api/support/protocol_app'
import { parseSse, type SseEvent } from './support/sse'
import { waitFor } from './support/wait_for'

const Held = defineState({ label: z.string(), done: z.boolean().optional() })

/** One release per run HoldAgent holds, in the order they got there. */
const holds: Array<() => void> = []

/** Holds its run until the test releases it, or until the run is stopped (it honours its signal). */
class HoldAgent extends Agent<typeof Held> {
  state = Held

  build(graph: GraphBuilder<typeof Held>) {
    return graph.then(this.hold)
  }

  hold(_state: StateOf<typeof Held>, ctx: NodeContext) {
    return new Promise<Partial<StateOf<typeof Held>>>((resolve, reject) => {
      holds.push(() => resolve({ done: true }))
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
    })
  }
}

const Asked = defineState({ answer: z.string().optional() })

/** Stops at an interrupt point before answering. */
class AskAgent extends Agent<typeof Asked> {
  state = Asked

  build(graph: GraphBuilder<typeof Asked>) {
    return graph.interrupt({ name: 'name', payload: () => ({ question: 'your name?' }), resumeInto: 'answer' })
  }
}

/** Fails with a message no client should see. */
class LeakyAgent extends Agent<typeof Asked> {
  state = Asked

  build(graph: GraphBuilder<typeof Asked>) {
    return graph.then(this.fail)
  }

  fail(): Partial<StateOf<typeof Asked>> {
    throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db.internal:5432')
  }
}

/*
 * Background runs on the native agent API, over a real socket: a booted
 * application on a migrated SQLite database, the sync queue executing runs
 * inside the server, the memory event log.
 */
describe('background runs at /agents/{path}/runs', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-bg-runs-'))
  let app: Application
  let server: HttpServer
  let url: string
  const bearer = (subject: string) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions: [] }).token}`

  beforeAll(async () => {
    app = await bootMigratedApp(base, { WEBHOOK_SECRET: randomBytes(32).toString('hex'), QUEUE_ATTEMPTS: '1' })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    router.agent('/hold', HoldAgent).name('hold')
    router.agent('/ask', AskAgent).name('ask')
    router.agent('/leaky', LeakyAgent).name('leaky')
    router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
      router.agent('/echo', EchoAgent).name('secure-echo')
    })
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    // The runs service executes runs with the application's runner: the same routes the server serves.
    app.singleton('agents', () => runner)
    server = createServer({ app, runner, heartbeatSeconds: 1, abortGraceMs: 300, health: { database: 'off', checkpointer: 'off' } })
    url = (await server.listen(0, '127.0.0.1')).url
  })

  afterAll(async () => {
    for (const release of holds) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined }
  }

  async function stream(path: string, headers: Record<string, string> = {}): Promise<SseEvent[]> {
    const response = await call('GET', path, { headers })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    return parseSse(response.text).events
  }

  it('answers a created run 202 at once with its Location, then waits for it and reads it as success', async () => {
    const created = await call('POST', '/agents/echo/runs', { body: { input: { query: 'hi' }, metadata: { source: 'test' } } })
    expect(created.status).toBe(202)
    expect(created.body).toMatchObject({ run_id: expect.any(String), thread_id: expect.any(String), status: 'pending', path: '/echo', metadata: { source: 'test' } })
    const runId = created.body.run_id as string
    expect(created.headers.get('location')).toBe(`/agents/echo/runs/${runId}`)

    const waited = await call('GET', `/agents/echo/runs/${runId}/wait`)
    expect(waited.status).toBe(200)
    expect(waited.body).toMatchObject({ run_id: runId, status: 'success', output: { query: 'hi', response: 'Processed: hi' }, error: null, attempts: 1, interrupts: [] })
    for (const key of ['created_at', 'started_at', 'ended_at', 'updated_at']) expect(new Date(waited.body[key]).toISOString()).toBe(waited.body[key])

    const shown = await call('GET', `/agents/echo/runs/${runId}`)
    expect(shown.body).toEqual(waited.body)
  })

  it('answers the run already created for an Idempotency-Key (200), per principal', async () => {
    const alice = bearer('alice')
    const first = await call('POST', '/agents/secure/echo/runs', { body: { input: { query: 'once' } }, headers: { authorization: alice, 'idempotency-key': 'order-1' } })
    const again = await call('POST', '/agents/secure/echo/runs', { body: { input: { query: 'once' } }, headers: { authorization: alice, 'idempotency-key': 'order-1' } })
    expect(first.status).toBe(202)
    expect(again.status).toBe(200)
    expect(again.body.run_id).toBe(first.body.run_id)
    expect(again.headers.get('location')).toBe(`/agents/secure/echo/runs/${first.body.run_id}`)

    const inMetadata = await call('POST', '/agents/secure/echo/runs', { body: { input: { query: 'once' }, metadata: { idempotency_key: 'order-1' } }, headers: { authorization: alice } })
    expect(inMetadata).toMatchObject({ status: 200, body: { run_id: first.body.run_id } })

    const bob = await call('POST', '/agents/secure/echo/runs', { body: { input: { query: 'once' } }, headers: { authorization: bearer('bob'), 'idempotency-key': 'order-1' } })
    expect(bob.status).toBe(202)
    expect(bob.body.run_id).not.toBe(first.body.run_id)
  })

  it('hides a run from another principal and from another route (404)', async () => {
    const created = await call('POST', '/agents/secure/echo/runs', { body: { input: { query: 'mine' } }, headers: { authorization: bearer('carol') } })
    const runId = created.body.run_id as string
    const mine = await call('GET', `/agents/secure/echo/runs/${runId}/wait`, { headers: { authorization: bearer('carol') } })
    expect(mine.body).toMatchObject({ status: 'success' })

    for (const path of [`/agents/secure/echo/runs/${runId}`, `/agents/secure/echo/runs/${runId}/wait`, `/agents/secure/echo/runs/${runId}/stream`]) {
      const other = await call('GET', path, { headers: { authorization: bearer('dave') } })
      expect(other).toMatchObject({ status: 404, body: { error: { code: 'E_RUN_NOT_FOUND' } } })
    }
    expect(await call('POST', `/agents/secure/echo/runs/${runId}/cancel`, { headers: { authorization: bearer('dave') } })).toMatchObject({ status: 404 })
    const anonymous = await call('GET', `/agents/secure/echo/runs/${runId}`)
    expect(anonymous.status).toBe(401)

    const echoRun = (await call('POST', '/agents/echo/runs', { body: { input: { query: 'x' } } })).body.run_id as string
    expect(await call('GET', `/agents/hold/runs/${echoRun}`)).toMatchObject({ status: 404, body: { error: { code: 'E_RUN_NOT_FOUND' } } })
  })

  it('cancels a running run: it reads cancelled (not error), a waiter sees it end, and a second cancel is 409', async () => {
    const created = await call('POST', '/agents/hold/runs', { body: { input: { label: 'stop me' } } })
    const runId = created.body.run_id as string
    await waitFor(() => holds.length === 1, 'the run to hold')
    expect((await call('GET', `/agents/hold/runs/${runId}`)).body.status).toBe('running')
    const waiting = call('GET', `/agents/hold/runs/${runId}/wait`)

    const cancelled = await call('POST', `/agents/hold/runs/${runId}/cancel`)
    holds.length = 0
    expect(cancelled).toMatchObject({ status: 202, body: { run_id: runId, status: 'cancelled' } })
    const waited = await waiting
    expect(waited.body).toMatchObject({ status: 'cancelled', error: { code: 'E_RUN_CANCELLED', message: 'The run was cancelled' } })

    const again = await call('POST', `/agents/hold/runs/${runId}/cancel`)
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'E_RUN_STATE' } } })
  })

  it('stops waiting when the client leaves', async () => {
    const created = await call('POST', '/agents/hold/runs', { body: { input: { label: 'left alone' } } })
    const runId = created.body.run_id as string
    await waitFor(() => holds.length === 1, 'the run to hold')
    const leaving = new AbortController()
    const waiting = fetch(`${url}/agents/hold/runs/${runId}/wait`, { signal: leaving.signal }).catch((error: Error) => error.name)
    await waitFor(() => server.kernel.inFlight === 1, 'the wait to be in flight')
    leaving.abort()
    expect(await waiting).toBe('AbortError')
    await waitFor(() => server.kernel.inFlight === 0, 'the server to stop waiting')
    expect((await call('GET', `/agents/hold/runs/${runId}`)).body.status).toBe('running')
    holds.shift()?.()
    expect((await call('GET', `/agents/hold/runs/${runId}/wait`)).body).toMatchObject({ status: 'success', output: { label: 'left alone', done: true } })
  })

  it('streams a run\'s events, and from a Last-Event-ID exactly the events after it', async () => {
    const created = await call('POST', '/agents/echo/runs', { body: { input: { query: 'again' }, stream_mode: ['values', 'updates'] } })
    const runId = created.body.run_id as string
    const all = await stream(`/agents/echo/runs/${runId}/stream`)
    expect(all.map((event) => event.event)).toEqual(['metadata', 'values', 'updates', 'values', 'updates', 'values', 'end'])
    expect(all[0].data).toMatchObject({ run_id: runId, thread_id: created.body.thread_id, attempt: 1, path: '/echo' })
    expect(all[all.length - 1].data).toEqual({ run_id: runId, thread_id: created.body.thread_id, status: 'success' })
    expect(all.every((event) => typeof event.id === 'string')).toBe(true)

    const after = all[2]
    const rest = await stream(`/agents/echo/runs/${runId}/stream`, { 'last-event-id': after.id as string })
    expect(rest).toEqual(all.slice(3))
  })

  it('answers the stream of a run that ended long ago, its events gone, with what is kept (nothing), without waiting for more', async () => {
    const store = app.make('runs').store
    const { run } = await store.create({ route: '/echo', input: { query: 'old' } })
    expect(await store.transition(run.id, ['pending'], 'success')).toBe(true)
    await app.make('db').connection()('runs').where({ id: run.id }).update({ ended_at: Date.now() - 3_600_000 })
    expect(await stream(`/agents/echo/runs/${run.id}/stream`)).toEqual([])
  })

  it('streams an interrupt with the request that resumes it, and records the run as interrupted', async () => {
    const created = await call('POST', '/agents/ask/runs', { body: { input: {} } })
    const runId = created.body.run_id as string
    const threadId = created.body.thread_id as string
    const events = await stream(`/agents/ask/runs/${runId}/stream`)
    const interrupt = events.find((event) => event.event === 'interrupt')
    expect(interrupt?.data).toEqual({
      thread_id: threadId,
      interrupts: [{ id: expect.any(String), value: { question: 'your name?' }, resume: { method: 'POST', url: `/agents/ask/threads/${threadId}/resume` } }],
    })
    const run = await call('GET', `/agents/ask/runs/${runId}`)
    expect(run.body).toMatchObject({ status: 'interrupted', interrupts: [{ value: { question: 'your name?' }, resume: { url: `/agents/ask/threads/${threadId}/resume` } }] })
  })

  it('shows a failed run\'s error code with internals hidden, in the run and at the end of its stream', async () => {
    const runId = (await call('POST', '/agents/leaky/runs', { body: { input: {} } })).body.run_id as string
    const waited = await call('GET', `/agents/leaky/runs/${runId}/wait`)
    expect(waited.body).toMatchObject({ status: 'error', error: { code: 'E_RUNTIME', message: 'Internal server error' } })
    const events = await stream(`/agents/leaky/runs/${runId}/stream`)
    expect(events.slice(-2)).toEqual([
      { id: expect.any(String), event: 'error', data: { code: 'E_RUNTIME', message: 'Internal server error' } },
      { id: expect.any(String), event: 'end', data: { run_id: runId, thread_id: waited.body.thread_id, status: 'error', error: { code: 'E_RUNTIME', message: 'Internal server error' } } },
    ])
    expect(JSON.stringify([waited.body, events])).not.toContain('hunter2')
  })

  it('refuses a webhook to a private address, and a body without input', async () => {
    const refused = await call('POST', '/agents/echo/runs', { body: { input: { query: 'x' }, webhook: 'http://127.0.0.1:9/hook' } })
    expect(refused.body.error.code).toBe('E_WEBHOOK_REFUSED')
    expect(refused.status).toBe(400)

    const missing = await call('POST', '/agents/echo/runs', { body: { config: {} } })
    expect(missing).toMatchObject({ status: 422, body: { error: { code: 'E_VALIDATION', details: [{ path: 'input', message: 'input is required' }] } } })
    const differing = await call('POST', '/agents/echo/runs', { body: { input: {}, metadata: { idempotency_key: 'a' } }, headers: { 'idempotency-key': 'b' } })
    expect(differing).toMatchObject({ status: 422, body: { error: { code: 'E_VALIDATION' } } })
    expect(await call('GET', '/agents/echo/runs/..bad')).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST' } } })
    expect(await call('GET', `/agents/echo/runs/${'0'.repeat(36)}`)).toMatchObject({ status: 404, body: { error: { code: 'E_RUN_NOT_FOUND' } } })
  })

  it('lists the run endpoints of each route in the OpenAPI document', async () => {
    const { paths } = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(paths['/agents/echo/runs'])).toEqual(['post'])
    expect(Object.keys(paths['/agents/echo/runs/{run_id}'])).toEqual(['get'])
    expect(Object.keys(paths['/agents/echo/runs/{run_id}/cancel'])).toEqual(['post'])
    expect(Object.keys(paths['/agents/echo/runs/{run_id}/wait'])).toEqual(['get'])
    expect(Object.keys(paths['/agents/secure/echo/runs/{run_id}/stream'])).toEqual(['get'])
    expect(paths['/agents/secure/echo/runs/{run_id}/stream'].get).toHaveProperty('security')
  })
})
