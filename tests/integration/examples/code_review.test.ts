import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

/** SSE frames of a response body: `{ event, data }` each. */
function frames(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? ''
      const data = /^data: (.*)$/m.exec(block)?.[1]
      return { event, data: data ? JSON.parse(data) : undefined }
    })
}

/**
 * The /code-review example as `langvel serve` wires it from routes/agents.ts:
 * a supervisor team on the offline fake model routes between the reviewer and
 * the security checker and reports findings per member.
 */
describe('/code-review: a supervisor team over HTTP', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-code-review-'))
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>
  const snippet = ['var total = 0', 'const apiKey = "sk-live-1234"', 'if (total == 1) { el.innerHTML = input }', 'run(eval(userCode))'].join('\n')

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', LLM_PROVIDER: 'fake' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    server = createServer({ app, runner: app.make('agents'), health: { database: 'off', checkpointer: 'off' } })
    server.markReady()
    http = request(server.express)
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  it('returns the findings of each member and a summary', async () => {
    const response = await http.post('/agents/code-review').send({ input: { code: snippet, language: 'javascript' } }).expect(200)
    const { findings, summary } = response.body.output
    expect(findings.reviewer).toEqual(['line 1: `var` declaration: use `const` or `let`', 'line 3: loose equality `==`: use `===`'])
    expect(findings.security).toEqual([
      'line 2: hard-coded credential',
      'line 3: assignment to innerHTML (cross-site scripting)',
      'line 4: dynamic code execution (eval / new Function)',
    ])
    expect(summary).toBe('5 findings (reviewer: 2, security: 3).')
  })

  it('streams which member is working, and the supervisor\'s choices', async () => {
    const response = await http.post('/agents/code-review').send({ input: { code: 'const ok = 1' }, stream: true, stream_mode: ['updates', 'custom'] }).expect(200)
    const events = frames(response.text)
    const team = events.filter((e) => e.event === 'custom').map((e) => e.data)
    expect(team).toEqual([
      { type: 'team', team: 'supervisor', next: 'reviewer' },
      { type: 'team', team: 'supervisor', member: 'reviewer', turn: 1 },
      { type: 'team', team: 'supervisor', next: 'security' },
      { type: 'team', team: 'supervisor', member: 'security', turn: 2 },
      { type: 'team', team: 'supervisor', next: 'done' },
    ])
    const nodes = events.filter((e) => e.event === 'updates').flatMap((e) => Object.keys(e.data))
    expect(nodes).toEqual(['supervisor', 'reviewer', 'supervisor', 'security', 'supervisor', 'summarize'])
    const summary = events.filter((e) => e.event === 'updates').map((e) => e.data.summarize?.summary).find(Boolean)
    expect(summary).toBe('No findings (reviewer, security reviewed the code).')
  })

  it('refuses a snippet that is empty with 422 naming the field', async () => {
    const response = await http.post('/agents/code-review').send({ input: { code: '   ' } }).expect(422)
    expect(response.body.error.code).toBe('E_VALIDATION')
    expect(JSON.stringify(response.body.error.details)).toContain('code')
  })
})
