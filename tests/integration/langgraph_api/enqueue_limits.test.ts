import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'
import { bootMigratedApp, gates, SlowAgent } from './support/protocol_app'
import { refusal } from './support/refusal'

/** `enqueue` runs wait within the server's MAX_QUEUE_SIZE, and give up when it drains. */
describe('the LangGraph API bounding runs that wait for their thread', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-enqueue-'))
  let app: Application
  let server: HttpServer
  let client: Client

  beforeAll(async () => {
    app = await bootMigratedApp(base, { MAX_QUEUE_SIZE: '1' })
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

  it('refuses an enqueue run past MAX_QUEUE_SIZE waiters (503), and stops the waiting ones when the server drains', async () => {
    const thread = await client.threads.create()
    const first = client.runs.wait(thread.thread_id, 'slow', { input: { label: 'one' } })
    await waitFor(() => gates.length === 1, 'the first run to start')
    const second = refusal(client.runs.wait(thread.thread_id, 'slow', { input: { label: 'two' }, multitaskStrategy: 'enqueue' }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await refusal(client.runs.wait(thread.thread_id, 'slow', { input: { label: 'three' }, multitaskStrategy: 'enqueue' }))).toMatchObject({ status: 503 })

    const drained = server.shutdown(5)
    const stopped = await second
    expect(stopped.status).toBe(503)
    expect(stopped.text).toContain('E_SHUTTING_DOWN')
    expect(gates).toHaveLength(1)
    gates.shift()?.()
    expect(await first).toEqual({ label: 'one done' })
    await drained
  })
})
