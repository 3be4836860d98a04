import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')

/**
 * The example application as `langvel serve` wires it: the real providers,
 * routes/agents.ts and the framework's route middleware. /secure/echo is the
 * echo agent behind `auth` and `throttle:5,1`.
 */
describe('the example app over HTTP: /secure/echo behind auth and throttle, thread ownership', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-secure-'))
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>
  const token = (subject: string, permissions: string[] = []) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions }).token}`

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
    server = createServer({ app, runner: app.make('agents') })
    server.markReady()
    http = request(server.express)
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  const run = (headers: Record<string, string>, body: unknown = { input: { query: 'hi' } }) =>
    http.post('/agents/secure/echo').set(headers).send(body as object)

  it('refuses a call without credentials with 401 and WWW-Authenticate, before the agent runs', async () => {
    const res = await run({}).expect(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(res.body.error.code).toBe('E_UNAUTHORIZED')
  })

  it('runs the agent for a valid JWT and reports the limit on the response', async () => {
    const res = await run({ authorization: token('alice') }).expect(200)
    expect(res.body.output.response).toBe('Processed: hi')
    expect(res.headers['x-ratelimit-limit']).toBe('5')
    expect(Number(res.headers['x-ratelimit-remaining'])).toBe(4)
  })

  it('runs the agent for a valid API key', async () => {
    const { key } = await app.make('auth').apiKeys.create('ci', { permissions: [] })
    const res = await run({ 'x-api-key': key }).expect(200)
    expect(res.body.output.response).toBe('Processed: hi')
  })

  it('keeps threads to their owner: others get 404 for state, resume and runs on that thread', async () => {
    const alice = token('alice-threads')
    const bob = token('bob-threads')
    const created = await run({ authorization: alice }).expect(200)
    const thread = created.body.thread_id as string
    await http.get(`/agents/secure/echo/threads/${thread}/state`).set({ authorization: alice }).expect(200)
    const stranger = await http.get(`/agents/secure/echo/threads/${thread}/state`).set({ authorization: bob }).expect(404)
    expect(stranger.body.error.code).toBe('E_THREAD_NOT_FOUND')
    await http.get(`/agents/secure/echo/threads/${thread}/history`).set({ authorization: bob }).expect(404)
    await http.post(`/agents/secure/echo/threads/${thread}/resume`).set({ authorization: bob }).send({ value: 1 }).expect(404)
    await run({ authorization: bob }, { input: { query: 'x' }, config: { thread_id: thread } }).expect(404)
    await http.get(`/agents/secure/echo/threads/${thread}/state`).set({ authorization: token('auditor', ['threads.*']) }).expect(200)
  })

  it('ignores identity fields sent in the body', async () => {
    const res = await run({ authorization: token('carol') }, { input: { query: 'hi' }, user_id: 'admin', permissions: ['*'] }).expect(200)
    const thread = res.body.thread_id as string
    await http.get(`/agents/secure/echo/threads/${thread}/state`).set({ authorization: token('admin') }).expect(404)
  })

  it('lets 5 runs a minute through per principal, then answers 429 with Retry-After', async () => {
    const dave = token('dave')
    for (let i = 0; i < 5; i += 1) await run({ authorization: dave }).expect(200)
    const limited = await run({ authorization: dave }).expect(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['x-ratelimit-remaining']).toBe('0')
    await run({ authorization: token('erin') }).expect(200)
  })

  it('leaves the unprotected routes open', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 'open' } }).expect(200)
    expect(res.body.output.response).toBe('Processed: open')
  })

  it('keeps a thread to its agent: another agent on the same thread id neither sees nor overwrites a pending approval', async () => {
    const thread = 'session-42'
    const asked = await http.post('/agents/approval').send({ input: { request: 'a new laptop' }, config: { thread_id: thread } }).expect(200)
    expect(asked.body.interrupts).toHaveLength(1)
    await http.get(`/agents/echo/threads/${thread}/state`).expect(404)
    await http.post('/agents/echo').send({ input: { query: 'hijack' }, config: { thread_id: thread } }).expect(200)
    const waiting = await http.get(`/agents/approval/threads/${thread}/state`).expect(200)
    expect(waiting.body.values.request).toBe('a new laptop')
    expect(waiting.body.interrupts).toHaveLength(1)
    const done = await http.post(`/agents/approval/threads/${thread}/resume`).send({ value: { approved: true } }).expect(200)
    expect(done.body.output.status).toBe('approved')
  })
})
