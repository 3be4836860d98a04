import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jwt from 'jsonwebtoken'
import { httpCall, writeCliEntry, spawnServe, until, type ServedProcess } from '../../e2e/support/processes'
import { describeWithRedis, REDIS_URL } from '../../helpers/services'
import { langsmithRuns, Receiver } from './receiver'

/**
 * `langvel serve` tracing to LangSmith and Langfuse through their own
 * clients, into receivers the test runs: runs arrive named after the route
 * with the run's metadata and no secrets, per-route enabling traces only
 * that route, shutdown flushes, and a backend that is down or hangs never
 * fails or holds a run.
 */

const ROOT = join(__dirname, '..', '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-backends-'))
const code = join(scratch, 'code')
const base = join(scratch, 'base')
for (const folder of [join(code, 'routes'), base]) mkdirSync(folder, { recursive: true })
for (const shared of ['framework', 'config', 'database', 'node_modules', 'package.json', 'app']) symlinkSync(join(ROOT, shared), join(code, shared))
writeFileSync(
  join(code, 'routes', 'agents.ts'),
  `import { EchoAgent } from '../app/agents/echo_agent'
import { Route } from '../framework/routing'
export default function routes() {
  Route.agent('/echo', EchoAgent).name('echo')
  Route.agent('/traced', EchoAgent).name('traced-echo').trace('langsmith', 'langfuse')
  Route.group({ prefix: '/secure', middleware: ['auth'] }, () => {
    Route.agent('/echo', EchoAgent).name('secure-echo')
  })
}
`,
)
const CLI_ENTRY = writeCliEntry(scratch, ['serverCommands'], { codePath: code })

const JWT_SECRET = 'backends-e2e-key-backends-e2e-key-backends-0123'
const LANGSMITH_KEY = 'lsv2_pt_e2e-langsmith-key-0a1b2c3d'
const LANGFUSE_PUBLIC = 'pk-lf-e2e-public'
const LANGFUSE_SECRET = 'sk-lf-e2e-secret-9f8e7d6c'
const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  APP_ENV: 'test',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  NO_COLOR: '1',
  SHUTDOWN_GRACE_SECONDS: '10',
  LANGVEL_BASE_PATH: base,
  JWT_SECRET_KEY: JWT_SECRET,
  // Token revocation checks in Redis: no migrated database needed.
  AUTH_STORE: 'redis',
  REDIS_URL,
}

interface OtlpSpan {
  name: string
  traceId: string
  parentSpanId?: string
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

/** The spans a Langfuse receiver got on its OTLP/HTTP JSON endpoint, attributes as a plain object. */
function langfuseSpans(receiver: Receiver): Array<OtlpSpan & { attrs: Record<string, unknown> }> {
  const spans: Array<OtlpSpan & { attrs: Record<string, unknown> }> = []
  for (const request of receiver.uploads) {
    expect(request.path).toBe('/api/public/otel/v1/traces')
    const body = JSON.parse(request.body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
    for (const group of body.resourceSpans) {
      for (const scope of group.scopeSpans) {
        for (const span of scope.spans) spans.push({ ...span, attrs: Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]])) })
      }
    }
  }
  return spans
}

type Started = ServedProcess

const children: ChildProcess[] = []
const receivers: Receiver[] = []

function serve(env: Record<string, string>): Promise<Started> {
  return spawnServe(CLI_ENTRY, [], { cwd: ROOT, env: { ...ENV, ...env }, children })
}

const run = (url: string, path: string, headers: Record<string, string> = {}) => httpCall(`${url}/agents${path}`, { body: { input: { query: 'traced' } }, headers })

function bearer(subject: string): string {
  const now = Math.floor(Date.now() / 1000)
  return jwt.sign({ sub: subject, permissions: [], jti: `jti-${subject}-${now}`, iat: now, exp: now + 600 }, JWT_SECRET, { issuer: 'langvel', audience: 'langvel' })
}

async function dropped(url: string, backend: string): Promise<number> {
  const metrics = (await httpCall(`${url}/metrics`)).text
  const match = new RegExp(`langvel_tracing_backend_dropped_total\\{backend="${backend}",reason="export_failed"\\} (\\d+)`).exec(metrics)
  return Number(match?.[1] ?? 0)
}

function backendsEnv(langsmith: Receiver | string, langfuse: Receiver | string, extra: Record<string, string> = {}): Record<string, string> {
  const at = (target: Receiver | string) => (typeof target === 'string' ? target : target.url)
  return {
    LANGSMITH_API_KEY: LANGSMITH_KEY,
    LANGSMITH_ENDPOINT: at(langsmith),
    LANGSMITH_PROJECT: 'e2e-project',
    LANGFUSE_PUBLIC_KEY: LANGFUSE_PUBLIC,
    LANGFUSE_SECRET_KEY: LANGFUSE_SECRET,
    LANGFUSE_BASEURL: at(langfuse),
    ...extra,
  }
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const receiver of receivers) await receiver.stop()
  rmSync(scratch, { recursive: true, force: true })
})

describeWithRedis('langvel serve with LangSmith and Langfuse', () => {
  it('traces every run once, named after the route, with its metadata and no secrets, flushed at shutdown', async () => {
    const langsmith = await new Receiver().start()
    const langfuse = await new Receiver().start()
    const otlp = await new Receiver().start()
    receivers.push(langsmith, langfuse, otlp)
    // The application's own OTLP tracing is on too: Langfuse's spans must stay apart from it.
    const server = await serve(backendsEnv(langsmith, langfuse, { LANGSMITH_TRACING: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }))
    const token = bearer('alice')
    const res = await run(server.url, '/secure/echo', { authorization: `Bearer ${token}`, 'x-request-id': 'req-e2e-1' })
    if (res.status !== 200) throw new Error(`${res.status} ${res.text}\n${server.output()}`)
    const threadId = JSON.parse(res.text).thread_id as string
    expect(threadId).toEqual(expect.any(String))

    // Shutdown right after the run: what arrives was flushed by it.
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const runs = langsmithRuns(langsmith.uploads)
    const roots = runs.filter((item) => item.name !== undefined && item.parent_run_id === undefined)
    expect(roots.map((item) => item.name)).toEqual(['secure-echo'])
    expect(roots[0].extra?.metadata).toMatchObject({ langvel_route: '/secure/echo', langvel_thread_id: threadId, principal_id: 'alice', request_id: 'req-e2e-1' })
    expect(runs.filter((item) => item.name === 'EchoAgent')).toEqual([])
    for (const request of langsmith.requests) expect(request.headers['x-api-key']).toBe(LANGSMITH_KEY)

    const spans = langfuseSpans(langfuse)
    const root = spans.filter((span) => span.parentSpanId === undefined || span.parentSpanId === '')
    expect(root.map((span) => span.name)).toEqual(['secure-echo'])
    expect(root[0].attrs).toMatchObject({ 'session.id': threadId, 'user.id': 'alice' })
    const metadata = JSON.stringify(root[0].attrs)
    for (const expected of ['/secure/echo', 'req-e2e-1', threadId]) expect(metadata).toContain(expected)
    const basic = `Basic ${Buffer.from(`${LANGFUSE_PUBLIC}:${LANGFUSE_SECRET}`).toString('base64')}`
    for (const request of langfuse.requests) expect(request.headers.authorization).toBe(basic)

    // Langfuse's trace is its own: no OTLP span is Langfuse's, none carries its attributes, no trace is shared.
    const appSpans = otlp.uploads.flatMap((request) =>
      (JSON.parse(request.body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((group) => group.scopeSpans.flatMap((scope) => scope.spans)),
    )
    expect(appSpans.map((span) => span.name)).toContain('invoke_agent EchoAgent')
    expect(JSON.stringify(appSpans)).not.toMatch(/langfuse/)
    const appTraces = new Set(appSpans.map((span) => span.traceId))
    for (const span of spans) expect(appTraces.has(span.traceId)).toBe(false)

    // No secret anywhere but the auth header each client sends to its own backend.
    const secrets = [LANGSMITH_KEY, LANGFUSE_SECRET, basic.slice(6), token, JWT_SECRET]
    for (const request of [...langsmith.requests, ...langfuse.requests]) {
      const { authorization: _auth, 'x-api-key': _key, ...headers } = request.headers
      const seen = request.body + JSON.stringify(headers)
      for (const secret of secrets) expect(seen).not.toContain(secret)
    }
    for (const request of langsmith.requests) expect(JSON.stringify(request.headers)).not.toContain(LANGFUSE_SECRET)
    for (const request of langfuse.requests) expect(JSON.stringify(request.headers)).not.toContain(LANGSMITH_KEY)
  }, 60_000)

  it('traces only the routes that ask when the backends are not on for every route', async () => {
    const langsmith = await new Receiver().start()
    const langfuse = await new Receiver().start()
    receivers.push(langsmith, langfuse)
    const server = await serve(backendsEnv(langsmith, langfuse, { LANGFUSE_TRACING: 'routes' }))
    expect((await run(server.url, '/echo')).status).toBe(200)
    expect((await run(server.url, '/traced')).status).toBe(200)
    expect((await run(server.url, '/echo')).status).toBe(200)
    // The LangGraph Platform endpoints run the same routes, traced the same way.
    for (const assistant of ['echo', 'traced-echo']) {
      const res = await httpCall(`${server.url}/runs/wait`, { body: { assistant_id: assistant, input: { query: 'platform' } } })
      if (res.status !== 200) throw new Error(`${res.status} ${res.text}`)
    }
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const roots = langsmithRuns(langsmith.uploads).filter((item) => item.name !== undefined && item.parent_run_id === undefined)
    expect(roots.map((item) => item.name)).toEqual(['traced-echo', 'traced-echo'])
    const spans = langfuseSpans(langfuse).filter((span) => !span.parentSpanId)
    expect(spans.map((span) => span.name)).toEqual(['traced-echo', 'traced-echo'])
  }, 60_000)

  it('answers every run while both backends are down, counting what it could not send', async () => {
    const gone = await new Receiver().start()
    await gone.stop()
    const server = await serve(backendsEnv(gone.url, gone.url, { LANGSMITH_TRACING: 'true', TRACING_BACKENDS_TIMEOUT_MS: '1000' }))
    for (let index = 0; index < 3; index++) expect((await run(server.url, '/echo')).status).toBe(200)
    await until(() => dropped(server.url, 'langsmith'), (count) => count > 0, 'langsmith drops on /metrics')
    await until(() => dropped(server.url, 'langfuse'), (count) => count > 0, 'langfuse drops on /metrics')
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 60_000)

  it('answers runs while both backends hold their uploads open', async () => {
    const langsmith = await new Receiver({ uploads: 'hang' }).start()
    const langfuse = await new Receiver({ uploads: 'hang' }).start()
    receivers.push(langsmith, langfuse)
    // Uploads may take as long as they like: only a run that never waits for one can answer.
    const server = await serve(backendsEnv(langsmith, langfuse, { LANGSMITH_TRACING: 'true', TRACING_BACKENDS_TIMEOUT_MS: '600000' }))
    expect((await run(server.url, '/echo')).status).toBe(200)
    await until(() => langsmith.held.length > 0 && langfuse.held.length > 0, (ok) => ok, 'uploads held by both backends')
    const first = [langsmith.held[0].res, langfuse.held[0].res]
    for (let index = 0; index < 3; index++) {
      expect((await run(server.url, '/echo')).status).toBe(200)
      // Answered while the first uploads still wait on their open connections.
      expect(first.map((res) => Receiver.open(res))).toEqual([true, true])
    }
    langsmith.release()
    langfuse.release()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 90_000)

  it("answers runs while LangSmith's server information request hangs", async () => {
    const langsmith = await new Receiver({ info: 'hang' }).start()
    const langfuse = await new Receiver().start()
    receivers.push(langsmith, langfuse)
    const server = await serve(backendsEnv(langsmith, langfuse, { LANGSMITH_TRACING: 'true', TRACING_BACKENDS_TIMEOUT_MS: '600000' }))
    expect((await run(server.url, '/echo')).status).toBe(200)
    await until(() => langsmith.held.length > 0, (ok) => ok, 'the server information request held')
    const info = langsmith.held[0].res
    for (let index = 0; index < 2; index++) {
      expect((await run(server.url, '/echo')).status).toBe(200)
      expect(Receiver.open(info)).toBe(true)
    }
    langsmith.release()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 90_000)

  it('uploads to LangSmith at once when its server information answers 503, without retrying it', async () => {
    const langsmith = await new Receiver({ info: 503 }).start()
    const langfuse = await new Receiver().start()
    receivers.push(langsmith, langfuse)
    const server = await serve(backendsEnv(langsmith, langfuse, { LANGSMITH_TRACING: 'true' }))
    expect((await run(server.url, '/echo')).status).toBe(200)
    await until(() => langsmithRuns(langsmith.uploads).some((item) => item.name === 'echo'), (ok) => ok, 'the run uploaded to LangSmith')
    // The 503 was asked once: the upload did not wait behind the client's retries.
    const firstUpload = langsmith.requests.findIndex((request) => request.path !== '/info')
    expect(langsmith.requests.slice(0, firstUpload).filter((request) => request.path === '/info')).toHaveLength(1)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 60_000)
})
