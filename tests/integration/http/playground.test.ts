import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import request from 'supertest'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'
import { PlaygroundAssets } from '../../../framework/playground/playground_assets'

const ROOT = join(__dirname, '..', '..', '..')

interface Booted {
  app: Application
  server: HttpServer
  http: ReturnType<typeof request>
  close(): Promise<void>
}

/** The example application as `langvel serve` wires it, under `env`. */
async function boot(env: Record<string, string>, beforeServer?: (app: Application) => void): Promise<Booted> {
  const base = mkdtempSync(join(tmpdir(), 'langvel-playground-'))
  const app = Application.create({
    basePath: base,
    loadDotenv: false,
    env: { JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', LOG_LEVEL: 'error', ...env },
    providers: defaultProviders(),
    logger: createLogger({ silent: true }),
  })
  await app.boot()
  let server: HttpServer | undefined
  try {
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
    beforeServer?.(app)
    server = createServer({ app, runner: app.make('agents'), health: { database: 'off', checkpointer: 'off' } })
  } catch (error) {
    await app.shutdown()
    rmSync(base, { recursive: true, force: true })
    throw error
  }
  server.markReady()
  const http = request(server.express)
  return {
    app,
    server,
    http,
    async close() {
      await server.shutdown(1)
      await app.shutdown()
      rmSync(base, { recursive: true, force: true })
    },
  }
}

describe('the playground in development', () => {
  let t: Booted
  beforeAll(async () => {
    t = await boot({ APP_ENV: 'development' })
  })
  afterAll(() => t?.close())

  it('serves the page with a CSP that allows only its own scripts and connections', async () => {
    const res = await t.http.get('/_langvel').expect(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toContain('/_langvel/assets/playground.js')
    const csp = res.headers['content-security-policy'] as string
    const script = csp.split(';').map((part) => part.trim()).find((part) => part.startsWith('script-src'))
    expect(script).toBe("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
  })

  it('serves its modules and the mermaid bundle from the package, and nothing else', async () => {
    const js = await t.http.get('/_langvel/assets/playground.js').expect(200)
    expect(js.headers['content-type']).toMatch(/^text\/javascript/)
    const mermaid = await t.http.get('/_langvel/assets/mermaid.min.js').expect(200)
    expect(mermaid.text.length).toBeGreaterThan(100_000)
    for (const path of ['/_langvel/assets/../../package.json', '/_langvel/assets/%2e%2e%2fplayground.ts', '/_langvel/assets/playground.ts', '/_langvel/nope']) {
      const res = await t.http.get(path)
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('E_NOT_FOUND')
    }
    const post = await t.http.post('/_langvel').send({}).expect(404)
    expect(post.body.error.code).toBe('E_NOT_FOUND')
  })

  it('lists the routes with their input schema and the resume schema of each interrupt point', async () => {
    const res = await t.http.get('/_langvel/api/routes').expect(200)
    const routes = res.body.routes as Array<{ path: string; protected: boolean; input_schema: { properties?: object }; interrupts: Array<{ point: string; resume_schema: { properties?: Record<string, unknown> } | null }> }>
    const echo = routes.find((route) => route.path === 'echo')!
    expect(echo.input_schema.properties).toHaveProperty('query')
    expect(echo.protected).toBe(false)
    expect(routes.find((route) => route.path === 'secure/echo')!.protected).toBe(true)
    const approval = routes.find((route) => route.path === 'approval')!
    expect(approval.interrupts).toHaveLength(1)
    expect(approval.interrupts[0].resume_schema?.properties).toHaveProperty('approved')
  })

  it('turns tracing on without any collector and keeps the trace of a run for the page', async () => {
    expect(t.app.bound('tracing')).toBe(true)
    const run = await t.http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
    const traceId = run.body.metadata.trace_id as string
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(run.headers.traceparent).toContain(traceId)
    const trace = await t.http.get(`/_langvel/api/traces/${traceId}`).expect(200)
    expect(trace.body.trace_id).toBe(traceId)
    const names = (trace.body.spans as Array<{ name: string; attributes: Record<string, unknown> }>).map((span) => span.name)
    expect(names).toEqual(expect.arrayContaining(['node process', 'node respond', 'invoke_agent EchoAgent']))
  })

  it('sends its files with an ETag and answers a matching If-None-Match with 304 (mermaid is not downloaded again)', async () => {
    const first = await t.http.get('/_langvel/assets/mermaid.min.js').expect(200)
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    const again = await t.http.get('/_langvel/assets/mermaid.min.js').set('if-none-match', etag).expect(304)
    expect(again.text ?? '').toBe('')
    await t.http.get('/_langvel/assets/mermaid.min.js').set('if-none-match', '"other"').expect(200)
    const js = await t.http.get('/_langvel/assets/playground.js').expect(200)
    expect(js.headers.etag).not.toBe(etag)
  })

  it('answers 404 E_NOT_FOUND for a trace it does not hold or a malformed id', async () => {
    for (const id of ['0'.repeat(32), 'not-a-trace']) {
      const res = await t.http.get(`/_langvel/api/traces/${id}`).expect(404)
      expect(res.body.error.code).toBe('E_NOT_FOUND')
      expect(res.body.error).not.toHaveProperty('stack')
    }
  })
})

describe("the playground's traces", () => {
  it('keeps the last runs, not the last requests: reads and health probes do not push a run out', async () => {
    const t = await boot({ APP_ENV: 'development', PLAYGROUND_TRACES: '5' })
    try {
      const run = await t.http.post('/agents/echo').send({ input: { query: 'kept' } }).expect(200)
      const traceId = run.body.metadata.trace_id as string
      for (let index = 0; index < 6; index++) {
        const health = await t.http.get('/health/live').expect(200)
        expect(health.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/)
      }
      for (const path of ['/_langvel', '/_langvel/api/routes', '/agents']) await t.http.get(path).expect(200)
      const trace = await t.http.get(`/_langvel/api/traces/${traceId}`).expect(200)
      expect((trace.body.spans as Array<{ name: string }>).map((span) => span.name)).toContain('invoke_agent EchoAgent')
      expect(t.app.make('traceRecorder').list().map((kept) => kept.traceId)).toEqual([traceId])
    } finally {
      await t.close()
    }
  })

  it('turns tracing on only in a process that serves the playground, and not with OTEL_SDK_DISABLED=true', async () => {
    let boundAtBoot: boolean | undefined
    const served = await boot({ APP_ENV: 'development' }, (app) => (boundAtBoot = app.bound('tracing')))
    try {
      // A command that boots the application without serving (migrate, agent:run) loads no tracing.
      expect(boundAtBoot).toBe(false)
      expect(served.app.bound('tracing')).toBe(true)
      expect((await served.http.get('/_langvel/api/routes').expect(200)).body.tracing).toBe(true)
    } finally {
      await served.close()
    }
    const disabled = await boot({ APP_ENV: 'development', OTEL_SDK_DISABLED: 'true' })
    try {
      expect(disabled.app.bound('tracing')).toBe(false)
      expect(disabled.app.bound('traceRecorder')).toBe(false)
      expect((await disabled.http.get('/_langvel/api/routes').expect(200)).body.tracing).toBe(false)
      const run = await disabled.http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
      expect(run.headers.traceparent).toBeUndefined()
    } finally {
      await disabled.close()
    }
  })

  it('behind auth in production, answers a trace to the principal whose run it is only', async () => {
    const t = await boot({ APP_ENV: 'production', PLAYGROUND_ENABLED: 'true', CHROMA_URL: 'http://127.0.0.1:9' })
    try {
      const tokens = t.app.make('auth').tokens
      const alice = tokens.issue('alice', { permissions: [] }).token
      const bob = tokens.issue('bob', { permissions: [] }).token
      const run = await t.http.post('/agents/secure/echo').set('authorization', `Bearer ${alice}`).send({ input: { query: 'mine' } }).expect(200)
      const traceId = run.body.metadata.trace_id as string
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      const own = await t.http.get(`/_langvel/api/traces/${traceId}`).set('authorization', `Bearer ${alice}`).expect(200)
      expect(own.body.trace_id).toBe(traceId)
      expect(own.body).not.toHaveProperty('owner')
      const other = await t.http.get(`/_langvel/api/traces/${traceId}`).set('authorization', `Bearer ${bob}`).expect(404)
      expect(other.body.error.code).toBe('E_NOT_FOUND')
      // A run nobody authenticated for is nobody's to read.
      const open = await t.http.post('/agents/echo').send({ input: { query: 'anyone' } }).expect(200)
      await t.http.get(`/_langvel/api/traces/${open.body.metadata.trace_id}`).set('authorization', `Bearer ${alice}`).expect(404)
    } finally {
      await t.close()
    }
  })
})

describe("the playground's files", () => {
  it('does not remember a failed read: the next request tries again', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'langvel-assets-')), 'assets')
    const assets = new PlaygroundAssets(directory)
    await expect(assets.get('index.html')).rejects.toThrow()
    mkdirSync(directory)
    writeFileSync(join(directory, 'index.html'), '<!doctype html><title>ok</title>')
    const asset = await assets.get('index.html')
    expect(asset?.body.toString()).toContain('ok')
    rmSync(dirname(directory), { recursive: true, force: true })
  })
})

describe('the playground outside development', () => {
  it('is not served in production, and tracing stays off (nothing bound)', async () => {
    const t = await boot({ APP_ENV: 'production', CHROMA_URL: 'http://127.0.0.1:9' })
    try {
      const res = await t.http.get('/_langvel').expect(404)
      expect(res.body.error.code).toBe('E_NOT_FOUND')
      await t.http.get('/_langvel/api/routes').expect(404)
      expect(t.app.bound('tracing')).toBe(false)
      expect(t.app.bound('traceRecorder')).toBe(false)
    } finally {
      await t.close()
    }
  })

  it('is off under APP_ENV=test unless asked for', async () => {
    const t = await boot({ APP_ENV: 'test' })
    try {
      await t.http.get('/_langvel').expect(404)
      expect(t.app.bound('tracing')).toBe(false)
    } finally {
      await t.close()
    }
  })

  it('with PLAYGROUND_ENABLED=true in production, needs auth for the page, its files and its API', async () => {
    const t = await boot({ APP_ENV: 'production', PLAYGROUND_ENABLED: 'true', CHROMA_URL: 'http://127.0.0.1:9' })
    try {
      for (const path of ['/_langvel', '/_langvel/assets/playground.js', '/_langvel/api/routes', `/_langvel/api/traces/${'a'.repeat(32)}`]) {
        const res = await t.http.get(path).expect(401)
        expect(res.body.error.code).toBe('E_UNAUTHORIZED')
      }
      const token = t.app.make('auth').tokens.issue('dev', { permissions: [] }).token
      const page = await t.http.get('/_langvel').set('authorization', `Bearer ${token}`).expect(200)
      expect(page.text).toContain('Langvel playground')
      const { key } = await t.app.make('auth').apiKeys.create('dev', { permissions: [] })
      await t.http.get('/_langvel/api/routes').set('x-api-key', key).expect(200)
    } finally {
      await t.close()
    }
  })
})
