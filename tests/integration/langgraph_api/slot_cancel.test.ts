import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client, type Run } from '@langchain/langgraph-sdk'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'
import { bootMigratedApp, gates, SlowAgent } from './support/protocol_app'

/** A run waiting for a concurrency slot is pending, and a cancel stops it there. */
describe('the LangGraph API cancelling a run that waits for a concurrency slot', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-slot-'))
  let app: Application
  let server: HttpServer
  let client: Client

  beforeAll(async () => {
    app = await bootMigratedApp(base, { MAX_CONCURRENT_REQUESTS: '1', MAX_QUEUE_SIZE: '5' })
    const router = new Router()
    router.agent('/slow', SlowAgent).name('slow')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
    const url = (await server.listen(0, '127.0.0.1')).url
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    for (const release of gates) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  it('stops a pending run before it gets a slot: it reads interrupted and never runs', async () => {
    const busy = await client.threads.create()
    const first = client.runs.wait(busy.thread_id, 'slow', { input: { label: 'one' } })
    await waitFor(() => gates.length === 1, 'the first run to start')
    const thread = await client.threads.create()
    const second = client.runs.wait(thread.thread_id, 'slow', { input: { label: 'two' } }).catch((error: Error) => error.message)
    let pending: Run[] = []
    for (let tries = 0; tries < 100 && pending.length === 0; tries++) pending = await client.runs.list(thread.thread_id, { status: 'pending' })
    expect(pending).toHaveLength(1)
    await client.runs.cancel(thread.thread_id, pending[0].run_id, true)
    expect(await second).toContain('E_ABORTED')
    expect(await client.runs.get(thread.thread_id, pending[0].run_id)).toMatchObject({ status: 'interrupted', cancel_reason: 'interrupt' })
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    expect(gates).toHaveLength(1)
    gates.shift()?.()
    expect(await first).toEqual({ label: 'one done' })
  })
})
