import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import type { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { bootMigratedApp } from '../langgraph_api/support/protocol_app'

/*
 * Background runs on a server without WEBHOOK_SECRET, on both APIs (the
 * native agent API and the LangGraph API): a run that asks for a webhook is
 * refused when it is created, naming the field, and nothing is recorded;
 * and the native API's anonymous idempotency keys need a thread.
 */
describe('background runs: requests refused when they are created', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-bg-refused-'))
  let app: Application
  let server: HttpServer
  let url: string

  beforeAll(async () => {
    app = await bootMigratedApp(base, { WEBHOOK_SECRET: undefined, QUEUE_ATTEMPTS: '1' })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    app.singleton('agents', () => runner)
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] }, health: { database: 'off', checkpointer: 'off' } })
    url = (await server.listen(0, '127.0.0.1')).url
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: response.status, body: await response.json() }
  }

  const recorded = async () => (await app.make('runs').store.list({ limit: 1000 })).length

  it('refuses a webhook with 422 naming webhook when WEBHOOK_SECRET is not set, on both APIs, recording no run', async () => {
    expect(app.config.get('webhooks').secret).toBeFalsy()
    const before = await recorded()
    const native = await post('/agents/echo/runs', { input: { query: 'x' }, webhook: 'https://hooks.example.com/runs' })
    expect(native.status).toBe(422)
    expect(native.body.error).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'webhook' })] })

    const thread = (await post('/threads', {})).body as { thread_id: string }
    const protocol = await post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'echo', input: { query: 'x' }, webhook: 'https://hooks.example.com/runs' })
    expect(protocol.status).toBe(422)
    expect(protocol.body.error).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'webhook' })] })
    const threadless = await post('/runs', { assistant_id: 'echo', input: { query: 'x' }, webhook: 'https://hooks.example.com/runs' })
    expect(threadless.status).toBe(422)
    expect(threadless.body.error).toMatchObject({ details: [expect.objectContaining({ path: 'webhook' })] })
    expect(await recorded()).toBe(before)

    // Without a webhook the same runs are taken.
    expect((await post('/agents/echo/runs', { input: { query: 'x' } })).status).toBe(202)
    expect((await post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'echo', input: { query: 'x' } })).status).toBe(200)
  })

  it('refuses an anonymous idempotency key on the native API without config.thread_id (422), and takes it with one', async () => {
    const before = await recorded()
    const bare = await post('/agents/echo/runs', { input: { query: 'x' } }, { 'idempotency-key': 'anon-1' })
    expect(bare.status).toBe(422)
    expect(bare.body.error).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'Idempotency-Key' })] })
    const viaMetadata = await post('/agents/echo/runs', { input: { query: 'x' }, metadata: { idempotency_key: 'anon-1' } })
    expect(viaMetadata.status).toBe(422)
    expect(await recorded()).toBe(before)

    const onThread = await post('/agents/echo/runs', { input: { query: 'x' }, config: { thread_id: 'anon-thread-1' } }, { 'idempotency-key': 'anon-1' })
    expect(onThread.status).toBe(202)
    const again = await post('/agents/echo/runs', { input: { query: 'x' }, config: { thread_id: 'anon-thread-1' } }, { 'idempotency-key': 'anon-1' })
    expect(again).toMatchObject({ status: 200, body: { run_id: onThread.body.run_id } })
    // The key on another thread does not hand that run out.
    const elsewhere = await post('/agents/echo/runs', { input: { query: 'x' }, config: { thread_id: 'anon-thread-2' } }, { 'idempotency-key': 'anon-1' })
    expect(elsewhere.status).toBe(422)
    expect(JSON.stringify(elsewhere.body)).not.toContain(onThread.body.run_id)
  })
})
