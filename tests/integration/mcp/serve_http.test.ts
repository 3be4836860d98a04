import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { ApprovalAgent } from '../../../app/agents/approval_agent'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { startServer } from '../../../framework/http/start_server'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'

const ROOT = join(__dirname, '..', '..', '..')

/** Runs until its run is cancelled; records both ends by label. */
const slow = { started: [] as string[], aborted: [] as string[] }
const SlowState = defineState({ label: z.string() })
class SlowAgent extends Agent<typeof SlowState> {
  state = SlowState
  description = 'Waits until cancelled'

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.wait)
  }

  wait(state: StateOf<typeof SlowState>, ctx: NodeContext) {
    slow.started.push(state.label)
    return new Promise<Partial<StateOf<typeof SlowState>>>((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        slow.aborted.push(state.label)
        reject(ctx.signal.reason)
      })
    })
  }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
}

/** One HTTP request on its own connection. */
function call(url: string, method: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

const origin = (url: string) => new URL(url).origin
const structured = (result: unknown) => (result as CallToolResult).structuredContent as Record<string, any>

/**
 * `langvel serve`'s MCP endpoint, checked with the SDK's own client over real
 * sockets: the example's echo and approval agents, a route behind `auth` and
 * `throttle`, one behind `can:`, and one that runs until cancelled.
 */
describe('agent routes as MCP tools over streamable HTTP', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-mcp-serve-'))
  let app: Application
  let runner: AgentRunner
  let secured: HttpServer
  let open: HttpServer
  let securedUrl: string
  let openUrl: string
  const clients: Client[] = []
  const token = (subject: string, permissions: string[] = []) => app.make('auth').tokens.issue(subject, { permissions }).token
  const bearer = (subject: string, permissions: string[] = []) => ({ authorization: `Bearer ${token(subject, permissions)}` })

  async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'serve-http-test', version: '1.0.0' })
    clients.push(client)
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }))
    return client
  }

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', CORS_ORIGINS: 'https://inspector.example' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()

    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo').description('Echoes the query')
    router.agent('/approval', ApprovalAgent).name('approval')
    router.agent('/slow', SlowAgent).name('slow')
    router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
      router.agent('/echo', EchoAgent).middleware('throttle:3,1').name('secure-echo')
      router.agent('/reports', EchoAgent).middleware('can:reports.read').name('reports')
    })
    const checkpointers = app.make('checkpointer')
    runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })

    secured = createServer({ app, runner, mcp: { http: true, path: '/mcp', middleware: ['auth'] } })
    open = createServer({ app, runner, mcp: { http: true, path: '/tools/mcp', middleware: [] } })
    securedUrl = `${(await secured.listen(0, '127.0.0.1')).url}/mcp`
    openUrl = `${(await open.listen(0, '127.0.0.1')).url}/tools/mcp`
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)))
    await secured?.shutdown(1)
    await open?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  describe('behind the endpoint middleware (auth)', () => {
    it('refuses a request without credentials with 401 in the API error shape, before any MCP exchange', async () => {
      const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
      const answer = await call(securedUrl, 'POST', { accept: 'application/json, text/event-stream' }, initialize)
      expect(answer.status).toBe(401)
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(answer.headers['x-request-id']).toEqual(expect.any(String))
      expect(answer.body.error.code).toBe('E_UNAUTHORIZED')
      await expect(connect(securedUrl)).rejects.toMatchObject({ code: 401 })
    })

    it('lists every route as a tool with its input schema and an optional thread_id, plus resume', async () => {
      const client = await connect(securedUrl, bearer('lister'))
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name).sort()).toEqual(['approval', 'echo', 'reports', 'resume', 'secure-echo', 'slow'])
      const echo = tools.find((tool) => tool.name === 'echo')
      expect(echo?.description).toBe('Echoes the query')
      expect(echo?.inputSchema).toMatchObject({
        type: 'object',
        properties: { query: { type: 'string', minLength: 1 }, thread_id: { type: 'string' } },
        required: ['query'],
      })
      expect(tools.find((tool) => tool.name === 'approval')?.description).toContain('"resume"')
      expect(tools.find((tool) => tool.name === 'resume')?.inputSchema).toMatchObject({ required: ['route', 'thread_id', 'value'] })
    })

    it('runs an agent: the output as structuredContent and the same document as JSON text; thread_id continues the thread', async () => {
      const headers = bearer('runner')
      const client = await connect(securedUrl, headers)
      const first = await client.callTool({ name: 'echo', arguments: { query: 'hi' } })
      expect(first.isError).toBeFalsy()
      expect(structured(first)).toEqual({ status: 'completed', thread_id: expect.any(String), output: { query: 'hi', processed: 'hi', response: 'Processed: hi' } })
      expect(JSON.parse((first.content as Array<{ text: string }>)[0].text)).toEqual(structured(first))

      const threadId = structured(first).thread_id as string
      const again = await client.callTool({ name: 'echo', arguments: { query: 'again', thread_id: threadId } })
      expect(structured(again)).toMatchObject({ status: 'completed', thread_id: threadId, output: { response: 'Processed: again' } })
      // The thread is the caller's, as one started over the HTTP API would be: /agents/echo (no auth) cannot read it.
      const state = await call(`${origin(securedUrl)}/agents/echo/threads/${threadId}/state`, 'GET', headers)
      expect(state.status).toBe(404)
      expect(state.body.error.code).toBe('E_THREAD_NOT_FOUND')
    })

    it('answers invalid input with an isError result carrying the validation message, and keeps serving', async () => {
      const client = await connect(securedUrl, bearer('validator'))
      const empty = await client.callTool({ name: 'echo', arguments: { query: '' } })
      expect(empty.isError).toBe(true)
      expect(structured(empty).error).toMatchObject({ code: 'E_VALIDATION', details: [{ path: 'query', message: 'query must not be empty' }] })
      expect((empty.content as Array<{ text: string }>)[0].text).toContain('query must not be empty')

      const badThread = await client.callTool({ name: 'echo', arguments: { query: 'x', thread_id: '../etc' } })
      expect(structured(badThread).error).toMatchObject({ code: 'E_VALIDATION', details: [{ path: 'thread_id' }] })

      await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: ErrorCode.InvalidParams })
      expect(structured(await client.callTool({ name: 'echo', arguments: { query: 'fine' } })).status).toBe('completed')
    })

    it('returns the interrupt of a run that stops for a human, and resume finishes it', async () => {
      const client = await connect(securedUrl, bearer('approver'))
      const asked = await client.callTool({ name: 'approval', arguments: { request: 'a new laptop' } })
      const threadId = structured(asked).thread_id as string
      expect(structured(asked)).toEqual({
        status: 'interrupted',
        thread_id: threadId,
        interrupts: [
          {
            id: expect.any(String),
            node: 'approval',
            value: { summary: 'Approval requested: a new laptop', request: 'a new laptop' },
            resume: { tool: 'resume', arguments: { route: 'approval', thread_id: threadId } },
          },
        ],
      })

      const { arguments: resumeArguments } = structured(asked).interrupts[0].resume
      const done = await client.callTool({ name: 'resume', arguments: { ...resumeArguments, value: { approved: true } } })
      expect(structured(done)).toMatchObject({ status: 'completed', thread_id: threadId, output: { request: 'a new laptop', status: 'approved' } })

      const twice = await client.callTool({ name: 'resume', arguments: { ...resumeArguments, value: { approved: false } } })
      expect(twice.isError).toBe(true)
      expect(structured(twice).error.code).toBe('E_NOTHING_TO_RESUME')
    })

    it('keeps threads to their principal: another one can neither resume nor continue them', async () => {
      const alice = await connect(securedUrl, bearer('alice'))
      const bob = await connect(securedUrl, bearer('bob'))
      const asked = await alice.callTool({ name: 'approval', arguments: { request: 'a desk' } })
      const threadId = structured(asked).thread_id as string

      const stolen = await bob.callTool({ name: 'resume', arguments: { route: 'approval', thread_id: threadId, value: { approved: true } } })
      expect(stolen.isError).toBe(true)
      expect(structured(stolen).error.code).toBe('E_THREAD_NOT_FOUND')
      const continued = await bob.callTool({ name: 'approval', arguments: { request: 'mine now', thread_id: threadId } })
      expect(structured(continued).error.code).toBe('E_THREAD_NOT_FOUND')

      const done = await alice.callTool({ name: 'resume', arguments: { route: 'approval', thread_id: threadId, value: { approved: false } } })
      expect(structured(done)).toMatchObject({ status: 'completed', output: { request: 'a desk', status: 'rejected' } })
    })

    it('accepts an API key as the HTTP API does', async () => {
      const { key } = await app.make('auth').apiKeys.create('mcp-client', { permissions: [] })
      const client = await connect(securedUrl, { 'x-api-key': key })
      expect(structured(await client.callTool({ name: 'echo', arguments: { query: 'key' } })).output.response).toBe('Processed: key')
    })

    it("guards a tool with its route's request middleware: can: needs the permission, throttle shares the route's counter", async () => {
      const plain = await connect(securedUrl, bearer('reader'))
      const forbidden = await plain.callTool({ name: 'reports', arguments: { query: 'q1' } })
      expect(forbidden.isError).toBe(true)
      expect(structured(forbidden).error.code).toBe('E_FORBIDDEN')
      const allowed = await connect(securedUrl, bearer('reader', ['reports.read']))
      expect(structured(await allowed.callTool({ name: 'reports', arguments: { query: 'q1' } })).status).toBe('completed')

      // throttle:3,1 per principal, counted alike for the tool and POST /agents/secure/echo.
      const headers = bearer('carol')
      const carol = await connect(securedUrl, headers)
      for (let i = 0; i < 2; i += 1) expect(structured(await carol.callTool({ name: 'secure-echo', arguments: { query: `c${i}` } })).status).toBe('completed')
      const viaHttp = await call(`${origin(securedUrl)}/agents/secure/echo`, 'POST', headers, { input: { query: 'c2' } })
      expect(viaHttp.status).toBe(200)
      const limited = await carol.callTool({ name: 'secure-echo', arguments: { query: 'c3' } })
      expect(limited.isError).toBe(true)
      expect(structured(limited).error.code).toBe('E_TOO_MANY_REQUESTS')
    })

    it('cancels the run when the client goes away mid-call', async () => {
      const client = await connect(securedUrl, bearer('leaver'))
      const pending = client.callTool({ name: 'slow', arguments: { label: 'http' } })
      pending.catch(() => undefined)
      await waitFor(() => slow.started.includes('http'), 'the slow run to start')
      await client.close()
      await waitFor(() => slow.aborted.includes('http'), 'the slow run to be cancelled')
      await expect(pending).rejects.toThrow()
    })

    it('answers GET and DELETE with 405 in the API error shape; other paths are still 404', async () => {
      for (const method of ['GET', 'DELETE']) {
        const answer = await call(securedUrl, method, bearer('prober'))
        expect(answer.status).toBe(405)
        expect(answer.headers.allow).toBe('POST')
        expect(answer.body.error).toMatchObject({ code: 'E_NOT_FOUND', trace_id: expect.any(String) })
      }
      expect((await call(`${securedUrl}/extra`, 'POST', {}, {})).status).toBe(404)
    })

    it('refuses a browser origin CORS_ORIGINS does not list (DNS rebinding), valid credentials or not', async () => {
      const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' }
      const accept = 'application/json, text/event-stream'
      const foreign = await call(securedUrl, 'POST', { ...bearer('browser'), accept, origin: 'http://rebound.example:8000' }, list)
      expect(foreign.status).toBe(403)
      expect(foreign.body.error.code).toBe('E_FORBIDDEN')
      const listed = await call(securedUrl, 'POST', { ...bearer('browser'), accept, origin: 'https://inspector.example', 'mcp-protocol-version': '2025-06-18' }, list)
      expect(listed.status).toBe(200)
      expect(listed.body.result.tools.length).toBeGreaterThan(0)
    })

    it('lets a listed browser origin send the MCP headers (preflight), as the kernel does for every path', async () => {
      const preflight = await call(securedUrl, 'OPTIONS', {
        origin: 'https://inspector.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers['access-control-allow-origin']).toBe('https://inspector.example')
      expect(String(preflight.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'mcp-protocol-version']),
      )
    })
  })

  describe('mounting', () => {
    it('is on by default for startServer (langvel serve), from config/mcp.ts: /mcp behind auth', async () => {
      const running = await startServer({ app, runner, host: '127.0.0.1', port: 0, handleSignals: false, health: { database: 'off' } })
      try {
        const url = `${running.address.url}/mcp`
        expect((await call(url, 'POST', { accept: 'application/json, text/event-stream' }, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(401)
        const client = await connect(url, bearer('default'))
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('echo')
        await client.close()
      } finally {
        await running.server.shutdown(1)
      }
    })

    it('refuses at startup a path the API already serves, a malformed one, and an unknown middleware name', () => {
      const mount = (path: string, middleware: string[] = []) => () => createServer({ app, runner, mcp: { http: true, path, middleware } })
      expect(mount('/agents/mcp')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
      expect(mount('/health')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
      expect(mount('/mcp/')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
      expect(mount('/mcp', ['auht'])).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE' }))
    })
  })

  describe('without endpoint middleware', () => {
    it("still applies each route's own auth to its tool", async () => {
      const anonymous = await connect(openUrl)
      expect((await anonymous.listTools()).tools).toHaveLength(6)
      const ran = await anonymous.callTool({ name: 'echo', arguments: { query: 'open' } })
      expect(structured(ran).status).toBe('completed')
      // The run went through the same runner and checkpointer as the HTTP API: its thread is there, and has no owner.
      const state = await call(`${origin(openUrl)}/agents/echo/threads/${structured(ran).thread_id}/state`, 'GET')
      expect(state.status).toBe(200)
      expect(state.body.values.response).toBe('Processed: open')
      const refused = await anonymous.callTool({ name: 'secure-echo', arguments: { query: 'closed' } })
      expect(refused.isError).toBe(true)
      expect(structured(refused).error.code).toBe('E_UNAUTHORIZED')

      const signedIn = await connect(openUrl, bearer('dave'))
      expect(structured(await signedIn.callTool({ name: 'secure-echo', arguments: { query: 'closed' } })).output.response).toBe('Processed: closed')
    })
  })
})
