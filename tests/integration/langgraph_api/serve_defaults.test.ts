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

/** The example application wired as `langvel serve` wires it, with config/langgraph_api.ts's defaults. */
async function exampleServer(env: Record<string, string> = {}) {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-defaults-'))
  const app = Application.create({
    basePath: base,
    loadDotenv: false,
    env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', ...env },
    providers: defaultProviders(),
    logger: createLogger({ silent: true }),
  })
  await app.boot()
  const server: HttpServer = createServer({ app, runner: app.make('agents') })
  server.markReady()
  return {
    app,
    http: request(server.express),
    migrate: () => new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest(),
    async close() {
      await server.shutdown(1)
      await app.shutdown()
      rmSync(base, { recursive: true, force: true })
    },
  }
}

describe('the LangGraph API on the example application', () => {
  it('is served by default: the example routes are its assistants', async () => {
    const example = await exampleServer()
    try {
      await example.http.get('/ok').expect(200, { ok: true })
      const res = await example.http.post('/assistants/search').send({ limit: 100 }).expect(200)
      expect(res.body.map((assistant: { assistant_id: string }) => assistant.assistant_id)).toEqual(
        expect.arrayContaining(['echo', 'customer-support', 'approval', 'secure-echo', 'secure-echo-bulk']),
      )
    } finally {
      await example.close()
    }
  })

  it('answers E_NOT_MIGRATED when its table is missing (the log says to run the migrations), then serves threads', async () => {
    const example = await exampleServer()
    try {
      const missing = await example.http.post('/threads').send({}).expect(500)
      expect(missing.body.error.code).toBe('E_NOT_MIGRATED')
      await example.migrate()
      const created = await example.http.post('/threads').send({ metadata: { a: 1 } }).expect(200)
      expect(created.body).toMatchObject({ status: 'idle', metadata: { a: 1 } })
    } finally {
      await example.close()
    }
  })

  it('lets browsers PATCH and DELETE threads and read the run id and search pages (CORS)', async () => {
    const example = await exampleServer({ CORS_ORIGINS: 'https://ui.example.com' })
    try {
      const preflight = await example.http
        .options('/threads/abc')
        .set('Origin', 'https://ui.example.com')
        .set('Access-Control-Request-Method', 'PATCH')
        .expect(204)
      expect(preflight.headers['access-control-allow-methods'].split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']))
      const res = await example.http.get('/ok').set('Origin', 'https://ui.example.com').expect(200)
      expect(res.headers['access-control-expose-headers'].split(/,\s*/)).toEqual(expect.arrayContaining(['Content-Location', 'X-Pagination-Next', 'X-Request-Id']))
    } finally {
      await example.close()
    }
  })

  it('puts LANGGRAPH_API_MIDDLEWARE in front of every endpoint but /ok and /info', async () => {
    const example = await exampleServer({ LANGGRAPH_API_MIDDLEWARE: 'auth' })
    try {
      await example.http.get('/ok').expect(200)
      await example.http.get('/info').expect(200)
      const refused = await example.http.post('/assistants/search').send({}).expect(401)
      expect(refused.body.error.code).toBe('E_UNAUTHORIZED')
      await example.http.get('/threads/abc').expect(401)
      await example.migrate()
      const { key } = await example.app.make('auth').apiKeys.create('ui', { permissions: [] })
      await example.http.post('/assistants/search').set('x-api-key', key).send({}).expect(200)
    } finally {
      await example.close()
    }
  })

  it('refuses to start with the MCP endpoint on one of its paths', async () => {
    const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-mcp-'))
    const app = Application.create({ basePath: base, loadDotenv: false, env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory' }, providers: defaultProviders(), logger: createLogger({ silent: true }) })
    await app.boot()
    try {
      expect(() => createServer({ app, runner: app.make('agents'), mcp: { http: true, path: '/threads', middleware: [] } })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('MCP_HTTP_PATH') }),
      )
    } finally {
      await app.shutdown()
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('is not served with LANGGRAPH_API_ENABLED=false', async () => {
    // With an allowed origin, so that the preflight does answer its methods: without PATCH and DELETE.
    const example = await exampleServer({ LANGGRAPH_API_ENABLED: 'false', CORS_ORIGINS: 'https://ui.example.com' })
    try {
      await example.http.get('/ok').expect(404)
      await example.http.post('/threads').send({}).expect(404)
      const res = await example.http.options('/agents/echo').set('Origin', 'https://ui.example.com').set('Access-Control-Request-Method', 'POST').expect(204)
      const methods: string[] = res.headers['access-control-allow-methods'].split(/,\s*/)
      expect(methods).toContain('POST')
      expect(methods).not.toContain('PATCH')
      expect(methods).not.toContain('DELETE')
    } finally {
      await example.close()
    }
  })
})
