import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'

const ROOT = join(__dirname, '..', '..', '..')
const SlowState = defineState({ label: z.string() })
const gates: Array<() => void> = []
const lingers: Array<() => void> = []

class SlowAgent extends Agent<typeof SlowState> {
  state = SlowState

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.hold)
  }

  hold(state: StateOf<typeof SlowState>) {
    return new Promise<Partial<StateOf<typeof SlowState>>>((resolve) => gates.push(() => resolve({ label: `${state.label} done` })))
  }
}

/** A stopped run whose work does not end within the abort grace leaves its thread busy, for the stale takeover. */
describe('the LangGraph API after a stopped run that does not end', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-stuck-'))
  let app: Application
  let server: HttpServer
  let client: Client

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
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

  it('keeps the thread busy past the abort grace, and a late end does not mark it idle', async () => {
    const thread = await client.threads.create()
    const controller = new AbortController()
    const run = client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'one' }, signal: controller.signal }).catch(() => 'cancelled')
    await waitFor(() => gates.length === 1, 'the run to start')
    controller.abort()
    expect(await run).toBe('cancelled')
    await waitFor(() => lingers.length === 1, 'the stopped run to linger')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    gates.shift()?.()
    lingers.shift()?.()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
    const refused = await client.runs.wait(thread.thread_id, 'stuck', { input: { label: 'two' } }).catch((error: { status?: number }) => error.status)
    expect(refused).toBe(422)
  })
})
