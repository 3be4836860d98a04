import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client, type Run } from '@langchain/langgraph-sdk'
import { ApprovalAgent } from '../../../app/agents/approval_agent'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { until } from '../../e2e/support/processes'
import { Receiver, signedWith } from '../../helpers/webhook_receiver'
import { bootMigratedApp, gates, SlowAgent } from './support/protocol_app'
import { refusal } from './support/refusal'

const SECRET = randomBytes(32).toString('hex')

/**
 * Background runs of the LangGraph API on the embedded defaults (the sync
 * queue driver: runs execute in the serving process; the memory event
 * log), through the official client: create, join, joinStream (with
 * Last-Event-ID), cancel (interrupt and rollback), idempotency, multitask
 * reject, and signed webhooks delivered to a local receiver.
 */
describe('background runs of the LangGraph API (sync driver)', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-bg-'))
  let app: Application
  let server: HttpServer
  let url: string
  let client: Client
  let receiver: Receiver

  beforeAll(async () => {
    receiver = await new Receiver().start()
    const port = receiver.port
    app = await bootMigratedApp(base, { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${port}`, WEBHOOK_RETRY_BASE_MS: '20' })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    router.agent('/approval', ApprovalAgent).name('approval')
    router.agent('/slow', SlowAgent).name('slow')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    // Background runs execute with the same runner the server serves.
    app.singleton('agents', () => runner)
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
    url = (await server.listen(0, '127.0.0.1')).url
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    for (const release of gates.splice(0)) release()
    await server?.shutdown(1)
    await app?.shutdown()
    await receiver?.stop()
    rmSync(base, { recursive: true, force: true })
  })

  it('creates a run that answers at once as pending, then joins, lists and reads it', async () => {
    const thread = await client.threads.create()
    const run: Run = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'in the background' } })
    expect(run).toMatchObject({ thread_id: thread.thread_id, assistant_id: 'echo', status: 'pending' })
    expect(await client.runs.join(thread.thread_id, run.run_id)).toMatchObject({ response: 'Processed: in the background' })
    expect(await client.runs.get(thread.thread_id, run.run_id)).toMatchObject({ run_id: run.run_id, status: 'success' })
    expect((await client.runs.list(thread.thread_id)).map((item) => item.run_id)).toContain(run.run_id)
    const stored = await client.threads.get(thread.thread_id)
    expect(stored).toMatchObject({ status: 'idle', values: { response: 'Processed: in the background' } })
    expect((await app.make('runs').get(run.run_id)).status).toBe('success')
  })

  it('creates a thread-less run on a stored thread of its own', async () => {
    const run: Run = await client.runs.create(null, 'echo', { input: { query: 'no thread' } })
    expect(await client.runs.join(run.thread_id, run.run_id)).toMatchObject({ response: 'Processed: no thread' })
  })

  it('streams a run from its event log, and from after a Last-Event-ID exactly the events that follow', async () => {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'stream me' }, streamMode: ['values', 'updates'] })
    await client.runs.join(thread.thread_id, run.run_id)
    const all: Array<{ id?: string; event: string; data: unknown }> = []
    for await (const part of client.runs.joinStream(thread.thread_id, run.run_id)) all.push(part as never)
    expect(all.map((part) => part.event)).toEqual(['metadata', 'values', 'updates', 'values', 'updates', 'values'])
    expect(all[0].data).toEqual({ run_id: run.run_id, attempt: 1 })
    expect(all.at(-1)?.data).toMatchObject({ response: 'Processed: stream me' })
    // The raw stream carries each event's id: resuming after the third gets the rest, once each.
    const raw = await (await fetch(`${url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`)).text()
    const ids = [...raw.matchAll(/^id: (.+)$/gm)].map((match) => match[1])
    expect(ids).toHaveLength(6)
    const rest = await (await fetch(`${url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`, { headers: { 'last-event-id': ids[2] } })).text()
    expect([...rest.matchAll(/^id: (.+)$/gm)].map((match) => match[1])).toEqual(ids.slice(3))
    // The SDK's own re-attach (its lastEventId option) agrees.
    const resumed: string[] = []
    for await (const part of client.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: ids[2] })) resumed.push(part.event)
    expect(resumed).toEqual(['values', 'updates', 'values'])
    expect(await refusal(fetch(`${url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`, { headers: { 'last-event-id': 'not-an-id' } }).then(async (response) => {
      if (!response.ok) throw Object.assign(new Error(await response.text()), { status: response.status })
    }))).toMatchObject({ status: 400 })
  })

  it('stops at an interrupt (run success, thread interrupted), then resumes with a command run', async () => {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'approval', { input: { request: 'a new laptop' } })
    const joined = (await client.runs.join(thread.thread_id, run.run_id)) as { __interrupt__?: unknown[] }
    expect(joined.__interrupt__).toHaveLength(1)
    expect(await client.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: 'success' })
    expect((await app.make('runs').get(run.run_id)).status).toBe('interrupted')
    expect(await client.threads.get(thread.thread_id)).toMatchObject({ status: 'interrupted' })
    const resume = await client.runs.create(thread.thread_id, 'approval', { command: { resume: { approved: true } } })
    expect(await client.runs.join(thread.thread_id, resume.run_id)).toMatchObject({ status: 'approved' })
  })

  it('cancels a running run: it reads interrupted (cancelled in the runs table) and its thread is let go', async () => {
    const thread = await client.threads.create()
    const run = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'held' } })
    await until(async () => (await client.runs.get(thread.thread_id, run.run_id)).status === 'running' && gates.length > 0, Boolean, 'the run to hold its gate')
    // The thread is busy: a second run is refused (multitask reject).
    expect(await refusal(client.runs.create(thread.thread_id, 'slow', { input: { label: 'second' } }))).toMatchObject({ status: 422 })
    await client.runs.cancel(thread.thread_id, run.run_id, true)
    expect(await client.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    const stored = await app.make('runs').get(run.run_id)
    expect(stored).toMatchObject({ status: 'cancelled', cancelAction: 'interrupt' })
    expect((await client.threads.get(thread.thread_id)).status).not.toBe('busy')
    gates.shift()?.()
  })

  it('of two runs created at once on one thread (reject), exactly one is accepted; the thread reads busy from its creation', async () => {
    const thread = await client.threads.create()
    const attempts = await Promise.allSettled([1, 2, 3].map((n) => client.runs.create(thread.thread_id, 'slow', { input: { label: `race ${n}` } })))
    const accepted = attempts.filter((attempt): attempt is PromiseFulfilledResult<Run> => attempt.status === 'fulfilled').map((attempt) => attempt.value)
    expect(accepted).toHaveLength(1)
    for (const attempt of attempts) if (attempt.status === 'rejected') expect((attempt.reason as { status?: number }).status).toBe(422)
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    await until(() => gates.length > 0, Boolean, 'the accepted run to hold its gate')
    gates.shift()?.()
    expect(await client.runs.join(thread.thread_id, accepted[0].run_id)).toMatchObject({ label: expect.stringMatching(/^race \d done$/) })
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
  })

  it('rolls a cancelled run back: its thread returns to where the run started and the run is forgotten', async () => {
    const thread = await client.threads.create()
    const first = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'first' } })
    await until(() => gates.length > 0, Boolean, 'the first run to hold its gate')
    gates.shift()?.()
    await client.runs.join(thread.thread_id, first.run_id)
    const before = await client.threads.getState(thread.thread_id)
    expect(before.values).toEqual({ label: 'first done' })
    // The second run's input is checkpointed before it waits: without a rollback the thread would keep it.
    const second = await client.runs.create(thread.thread_id, 'slow', { input: { label: 'second' } })
    await until(async () => ((await client.threads.getState(thread.thread_id)).values as { label?: string }).label === 'second' && gates.length > 0, Boolean, 'the second run to hold its gate')
    await client.runs.cancel(thread.thread_id, second.run_id, true, 'rollback')
    expect(await refusal(client.runs.get(thread.thread_id, second.run_id))).toMatchObject({ status: 404 })
    gates.shift()?.()
    const after = await client.threads.getState(thread.thread_id)
    expect(after.values).toEqual({ label: 'first done' })
    expect(await client.threads.get(thread.thread_id)).toMatchObject({ status: 'idle', values: { label: 'first done' } })
  })

  it('returns the first run for a repeated Idempotency-Key (header or metadata) instead of a second one', async () => {
    const thread = await client.threads.create()
    const key = `order-${randomBytes(4).toString('hex')}`
    const post = (headers: Record<string, string>, body: Record<string, unknown>) =>
      fetch(`${url}/threads/${thread.thread_id}/runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ assistant_id: 'echo', input: { query: 'once' }, ...body }) }).then(async (response) => ({ status: response.status, body: (await response.json()) as Run }))
    const first = await post({ 'idempotency-key': key }, {})
    expect(first.status).toBe(200)
    await client.runs.join(thread.thread_id, first.body.run_id)
    const again = await post({ 'idempotency-key': key }, {})
    expect(again.body.run_id).toBe(first.body.run_id)
    const viaMetadata = await post({}, { metadata: { idempotency_key: key } })
    expect(viaMetadata.body.run_id).toBe(first.body.run_id)
    expect((await client.runs.list(thread.thread_id)).filter((run) => run.run_id === first.body.run_id)).toHaveLength(1)
    expect(await client.runs.list(thread.thread_id)).toHaveLength(1)
  })

  it('POSTs the ended run to its webhook, signed, retried after a 500; a private destination is refused', async () => {
    const thread = await client.threads.create()
    // The receiver fails the first delivery: the webhook is retried.
    receiver.script.push(500)
    const run = await client.runs.create(thread.thread_id, 'echo', { input: { query: 'hook' }, webhook: receiver.url() })
    await client.runs.join(thread.thread_id, run.run_id)
    await until(() => receiver.received.filter((delivery) => delivery.body.includes(run.run_id)).length >= 2, Boolean, 'the webhook to be delivered twice')
    const mine = receiver.received.filter((delivery) => delivery.body.includes(run.run_id))
    expect(mine.every((delivery) => signedWith(delivery, SECRET))).toBe(true)
    expect(mine[0].headers['x-langvel-delivery']).toBe(mine[1].headers['x-langvel-delivery'])
    expect(JSON.parse(mine[1].body)).toMatchObject({ run_id: run.run_id, thread_id: thread.thread_id, status: 'success', output: { response: 'Processed: hook' }, error: null })
    expect(await refusal(client.runs.create(thread.thread_id, 'echo', { input: { query: 'x' }, webhook: 'http://10.0.0.1/hooks' }))).toMatchObject({ status: 400 })
    expect(await refusal(client.runs.create(thread.thread_id, 'echo', { input: { query: 'x' }, webhook: 'http://127.0.0.1:1/hooks' }))).toMatchObject({ status: 400 })
  })
})
