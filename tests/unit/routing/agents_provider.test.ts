import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import request from 'supertest'
import { createServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')
const scratches: string[] = []
afterAll(() => scratches.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A booted application over a project whose code root has the repository's config and this one route. */
function projectWith(route: string, agentClass: string, env: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'langvel-agents-provider-'))
  scratches.push(root)
  mkdirSync(join(root, 'routes'))
  mkdirSync(join(root, 'config'))
  for (const file of readdirSync(join(ROOT, 'config'))) {
    writeFileSync(join(root, 'config', file), `export { default } from ${JSON.stringify(join(ROOT, 'config', file.replace(/\.ts$/, '')))}\n`)
  }
  writeFileSync(
    join(root, 'routes', 'agents.ts'),
    `import { Route } from ${JSON.stringify(join(ROOT, 'framework/routing'))}
import { ${agentClass} } from ${JSON.stringify(join(__dirname, '..', 'agents', 'fixtures', 'throttled_agent'))}
export default function routes() {
  Route.agent(${JSON.stringify(route)}, ${agentClass})
}
`,
  )
  return Application.create({
    basePath: root,
    codePath: root,
    loadDotenv: false,
    env: { APP_ENV: 'test', STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', ...env },
    providers: defaultProviders(),
    logger: createLogger({ silent: true }),
  }).boot()
}

describe('the agents provider', () => {
  it("resolves an agent class's own middleware through the application's registry: throttle guards its HTTP requests, not CLI runs", async () => {
    const app = await projectWith('/limited', 'ThrottledFixtureAgent')
    try {
      const agents = app.make('agents')
      expect(agents.route('/limited').middleware).toEqual(['logging', 'throttle:1,1'])
      const server = createServer({ app, runner: agents, health: { database: 'off', checkpointer: 'off' } })
      server.markReady()
      const http = request(server.express)
      const first = await http.post('/agents/limited').send({ input: { query: 'a' } }).expect(200)
      expect(first.body.output).toEqual({ query: 'seen a' })
      expect(first.headers['x-ratelimit-limit']).toBe('1')
      const refused = await http.post('/agents/limited').set('accept', 'text/event-stream').send({ input: { query: 'b' } }).expect(429)
      expect(refused.body.error.code).toBe('E_TOO_MANY_REQUESTS')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      // The CLI runs as the trusted local operator: request-stage middleware is not part of a run.
      expect((await agents.invoke('/limited', { query: 'c' })).output).toEqual({ query: 'seen c' })
      await server.shutdown(1)
    } finally {
      await app.shutdown()
    }
  })

  it('fails the boot of the runner, not a run, when an agent names a checkpointer there is no driver for', async () => {
    const app = await projectWith('/mongo', 'MongoFixtureAgent')
    try {
      expect(() => app.make('agents')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER', details: expect.objectContaining({ route: '/mongo' }) }))
    } finally {
      await app.shutdown()
    }
  })

  it('fails the boot of the runner in production when an agent searches a collection and CHROMA_URL is not set', async () => {
    const production = { APP_ENV: 'production', JWT_SECRET_KEY: 'k'.repeat(48), CHROMA_URL: '' }
    const app = await projectWith('/ask', 'RagFixtureAgent', production)
    try {
      expect(() => app.make('agents')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('CHROMA_URL') }))
    } finally {
      await app.shutdown()
    }
    const withUrl = await projectWith('/ask', 'RagFixtureAgent', { ...production, CHROMA_URL: 'http://127.0.0.1:1' })
    try {
      expect(withUrl.make('agents').route('/ask').tools).toEqual(['search_docs'])
    } finally {
      await withUrl.shutdown()
    }
  })

  it('fails the boot of the runner when an agent uses the tools of an MCP server that is not declared, saying where to declare it', async () => {
    const app = await projectWith('/tools', 'McpFixtureAgent')
    try {
      expect(() => app.make('agents')).toThrow(
        expect.objectContaining({
          code: 'E_MCP_SERVER_NOT_FOUND',
          message: 'No MCP server named "missing" is configured',
          help: expect.stringMatching(/\(route \/tools\) come from it\. Declare it under `servers` in config\/mcp\.ts or under "mcpServers" in mcp\.json; `langvel mcp:list`/),
        }),
      )
    } finally {
      await app.shutdown()
    }
  })
})
