import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Application } from '../../../framework/foundation/application'
import { defaultHealthChecks } from '../../../framework/http/health/default_checks'
import { HealthRegistry } from '../../../framework/http/health/health_registry'
import { createLogger } from '../../../framework/logger'
import { mcpProvider } from '../../../framework/mcp/mcp_provider'
import { resolveMcp } from '../../../framework/mcp'
import { SERVER, killTagged, newTag, pidOf, processAlive, taggedPids } from './support/fixture'

/*
 * The MCP client as the application builds it (mcp provider, mcp.json in
 * the project root) and as /health sees it: one check per server, `mcp:<name>`,
 * required when the server is, with its status and tool count.
 */

const logger = createLogger({ silent: true })
const apps: Application[] = []
const tags: string[] = []

/** A project folder with this mcp.json, booted with the mcp provider only. */
async function project(servers: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ app: Application; dir: string }> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'langvel-mcp-health-')))
  writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: servers }, null, 2))
  const app = await Application.create({
    basePath: dir,
    env: { LOG_LEVEL: 'error', JWT_SECRET_KEY: 'k'.repeat(48), MCP_RESTART_BASE_DELAY_MS: '20', MCP_RESTART_MAX_DELAY_MS: '100', ...env },
    loadDotenv: false,
    providers: [mcpProvider],
    configWarnings: false,
    logger,
  }).boot()
  apps.push(app)
  return { app, dir }
}

function fixtureEntry(extra: Record<string, unknown> = {}) {
  const tag = newTag('health')
  tags.push(tag)
  return { tag, entry: { command: process.execPath, args: [SERVER, tag], ...extra } }
}

function health(app: Application) {
  const registry = new HealthRegistry(logger)
  for (const check of defaultHealthChecks(app)) registry.register(check)
  return registry
}

afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.shutdown()
    rmSync(app.basePath, { recursive: true, force: true })
  }
  for (const tag of tags.splice(0)) killTagged(tag)
})

describe('the mcp health checks', () => {
  it('one check per server: a required server that is up reports ok with its status and tools; an optional one that cannot start degrades', async () => {
    const fx = fixtureEntry({ required: true })
    const { app } = await project({ fx: fx.entry, gone: { command: '/nonexistent/langvel-mcp-server', restart: false } })
    const registry = health(app)
    // mcp:notes is the example server config/mcp.ts declares.
    expect(registry.names()).toEqual(['mcp:fx', 'mcp:gone', 'mcp:notes'])

    const report = await registry.run()

    expect(report.checks['mcp:fx']).toMatchObject({ status: 'ok', required: true, details: { status: 'ready', tools: 15, restarts: 0 } })
    expect(report.checks['mcp:gone']).toMatchObject({ status: 'down', required: false, error: 'E_MCP_UNAVAILABLE', details: { status: 'failed', tools: 0 } })
    expect(report.status).toBe('degraded')
    // Readiness counts the required one only.
    expect((await registry.run(true)).status).toBe('ok')
  })

  it('a required server that cannot start makes the service down', async () => {
    const { app } = await project({ fx: { command: '/nonexistent/langvel-mcp-server', required: true, restart: false } })

    const report = await health(app).run(true)

    expect(report.status).toBe('down')
    expect(report.checks['mcp:fx']).toMatchObject({ status: 'down', required: true, error: 'E_MCP_UNAVAILABLE', details: { status: 'failed' } })
  })

  it('a required server that crashed reports down until it is back', async () => {
    const fx = fixtureEntry({ required: true, restart: { maxRetries: 5, baseDelayMs: 300, maxDelayMs: 300 } })
    const { app } = await project({ fx: fx.entry })
    const registry = health(app)
    expect((await registry.run()).status).toBe('ok')

    await expect(app.make('mcp').call('fx', 'crash')).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    const during = await registry.run()

    expect(during.checks['mcp:fx']).toMatchObject({ status: 'down', error: 'E_MCP_UNAVAILABLE', details: { status: 'restarting', restarts: 0 } })
    await new Promise((done) => setTimeout(done, 600))
    expect((await registry.run()).checks['mcp:fx']).toMatchObject({ status: 'ok', details: { status: 'ready', restarts: 1 } })
  })
})

describe('the mcp provider', () => {
  it('builds the manager from mcp.json: ${VAR} from the app env, the project root as cwd; the runtime resolver follows the app; shutdown ends the child', async () => {
    const fx = fixtureEntry({ env: { FIXTURE_VAR: '${MCP_TEST_VALUE}' } })
    const { app, dir } = await project({ fx: fx.entry }, { MCP_TEST_VALUE: 'from the app env' })
    const mcp = app.make('mcp')

    expect(resolveMcp()).toBe(mcp)
    expect((await mcp.call('fx', 'env', { name: 'FIXTURE_VAR' })).text).toBe('from the app env')
    expect((await mcp.call('fx', 'cwd')).text).toBe(dir)
    const pid = pidOf(fx.tag)

    await app.shutdown()

    expect(processAlive(pid)).toBe(false)
    expect(taggedPids(fx.tag)).toEqual([])
    expect(() => resolveMcp()).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })
})
