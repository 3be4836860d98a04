import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { bootMigratedApp } from './support/protocol_app'

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
  } catch (error) {
    return (error as { status?: number }).status ?? 0
  }
  throw new Error('expected the request to be refused')
}

/** An application whose only authenticated route takes API keys, with no JWT key configured. */
describe('the LangGraph API identifying callers with the guards the routes use', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-identify-'))
  let app: Application
  let server: HttpServer
  let url: string
  const clientWith = (apiKey: string | null, headers?: Record<string, string>) => new Client({ apiUrl: url, apiKey, defaultHeaders: headers, callerOptions: { maxRetries: 0 } })

  beforeAll(async () => {
    app = await bootMigratedApp(base, { JWT_SECRET_KEY: undefined })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    router.agent('/keyed', EchoAgent).middleware('auth:api_key').name('keyed')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
    url = (await server.listen(0, '127.0.0.1')).url
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  it('boots without JWT_SECRET_KEY when the routes only take API keys, and identifies key holders', async () => {
    const { key } = await app.make('auth').apiKeys.create('ui', { permissions: [] })
    const holder = clientWith(key)
    const thread = await holder.threads.create({ metadata: { mine: true } })
    expect(await holder.runs.wait(thread.thread_id, 'keyed', { input: { query: 'k' } })).toMatchObject({ response: 'Processed: k' })
    expect((await holder.threads.search({ metadata: { mine: true } })).map((item) => item.thread_id)).toEqual([thread.thread_id])
    expect(await refusal(clientWith(null).threads.get(thread.thread_id))).toBe(404)
  })

  it('treats credentials that do not verify as anonymous where no auth is needed, and refuses them where it is', async () => {
    // What the SDK sends from LANGSMITH_API_KEY on its own, and a stray Bearer token.
    for (const stray of [clientWith('lsv2_pt_not_a_langvel_key'), clientWith(null, { authorization: 'Bearer not.a.token' })]) {
      expect((await stray.assistants.search()).length).toBe(2)
      const thread = await stray.threads.create()
      expect(await stray.runs.wait(thread.thread_id, 'echo', { input: { query: 'p' } })).toMatchObject({ response: 'Processed: p' })
      expect((await clientWith(null).threads.get(thread.thread_id)).status).toBe('idle')
      expect(await stray.threads.search()).toEqual([])
      expect(await refusal(stray.runs.wait(null, 'keyed', { input: { query: 'x' } }))).toBe(401)
    }
  })
})
