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

const lingers: Array<() => void> = []

/** A stopped run whose work does not end within the abort grace leaves its thread busy, for the stale takeover. */
describe('the LangGraph API after a stopped run that does not end', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-stuck-'))
  let app: Application
  let server: HttpServer
  let client: Client

  beforeAll(async () => {
    app = await bootMigratedApp(base)
    app.make('middleware').register('linger', {
      stage: 'run',
      create: () =>
        ({
          name: 'linger',
          async handle(_ctx: unknown, next: () => Promise<unknown>) {
            try {
              return await next()
            } finally {
              await new Promise<void>((resolve) => lingers.push(resolve))
            }
          },
        }) as never,
    })
    const router = new Router()
    router.agent('/stuck', SlowAgent).middleware('linger').name('stuck')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] }, abortGraceMs: 150 })
    const url = (await server.listen(0, '127.0.0.1')).url
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    for (const release of [...gates, ...lingers]) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  it('reads the run as interrupted past the abort grace while its thread stays busy, and records the thread when the run ends at last', async () => {
    const thread = await client.threads.create()
    const controller = new AbortController()
    const run = client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'one' }, signal: controller.signal }).catch(() => 'cancelled')
    await waitFor(() => gates.length === 1, 'the run to start')
    const [running] = await client.runs.list(thread.thread_id)
    expect(running.status).toBe('running')
    controller.abort()
    expect(await run).toBe('cancelled')
    await waitFor(() => lingers.length === 1, 'the stopped run to linger')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await client.runs.get(thread.thread_id, running.run_id)).status).toBe('interrupted')
    // A join is answered (it does not wait for the lingering work).
    await expect(client.runs.join(thread.thread_id, running.run_id)).resolves.toBeDefined()
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    const refused = await client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'two' } }).catch((error: { status?: number }) => error.status)
    expect(refused).toBe(422)
    await client.runs.delete(thread.thread_id, running.run_id)
    gates.shift()?.()
    lingers.shift()?.()
    let status = 'busy'
    for (let tries = 0; tries < 100 && status === 'busy'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      status = (await client.threads.get(thread.thread_id)).status
    }
    expect(status).toBe('idle')
  })
})
