import { freePort } from '../../../framework/support/processes'
import { FIXTURE_TOOLS, closeManagers, harness, httpServer, metricValue, rejectionOf, sleep, startHttpFixture, waitFor, type HttpFixture } from './support/fixture'

/*
 * Langvel's MCP client on the fixture server over streamable HTTP (the
 * fixture started with --http as a child process, stateful sessions, a
 * bearer token): headers sent, refusals and lost servers reported as
 * E_MCP_UNAVAILABLE, oversized messages as E_MCP_PROTOCOL, and a server
 * that comes back on its port reconnected to.
 */

const TOKEN = 's3cret-token-value'
const auth = { Authorization: `Bearer ${TOKEN}` }

let shared: HttpFixture
const fixtures: HttpFixture[] = []

beforeAll(async () => {
  shared = await startHttpFixture(['--header-token', TOKEN])
  fixtures.push(shared)
})

afterEach(async () => {
  await closeManagers()
})

afterAll(async () => {
  await Promise.all(fixtures.map((fixture) => fixture.kill()))
})

describe('a streamable HTTP server', () => {
  it('lists the tools and the server, and calls tools, resources and prompts with the configured headers', async () => {
    const { manager } = harness([httpServer('web', shared.url, { headers: auth })])

    const tools = await manager.server('web').listTools()
    const sum = await manager.call('web', 'add', { a: 20, b: 22 })

    expect(tools.map((tool) => tool.name)).toEqual(FIXTURE_TOOLS)
    expect(tools.find((tool) => tool.name === 'echo')?.inputSchema).toMatchObject({ properties: { text: { type: 'string' } }, required: ['text'] })
    expect(manager.server('web').report()).toMatchObject({ transport: 'http', status: 'ready', serverInfo: { name: 'fixture', version: '1.0.0' } })
    expect((await manager.call('web', 'echo', { text: 'over http' })).text).toBe('over http')
    expect(sum).toMatchObject({ structuredContent: { sum: 42 }, text: '42' })
    expect((await manager.resource('web', 'notes://readme')).contents[0]).toMatchObject({ text: 'Fixture readme' })
    expect((await manager.prompt('web', 'greet', { name: 'Bob' })).messages[0].content).toEqual({ type: 'text', text: 'Hello, Bob!' })
    expect(await manager.server('web').ping()).toBeGreaterThanOrEqual(0)
  })

  it('without the token: a clear E_MCP_UNAVAILABLE (the server refused it), no secret in the message', async () => {
    const { manager } = harness([
      httpServer('no-token', shared.url, { restart: { enabled: false } }),
      httpServer('bad-token', shared.url, { headers: { Authorization: 'Bearer not-the-token' }, restart: { enabled: false } }),
    ])

    const missing = await rejectionOf(manager.call('no-token', 'echo', { text: 'x' }))
    const wrong = await rejectionOf(manager.call('bad-token', 'echo', { text: 'x' }))

    for (const error of [missing, wrong]) {
      expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
      expect(error.message).toMatch(/^MCP server "(no|bad)-token" is unavailable: /)
      expect(error.message).toMatch(/401|Unauthorized/)
      expect(error.message).not.toContain('not-the-token')
    }
    expect(manager.server('no-token').report()).toMatchObject({ status: 'failed', error: { code: 'E_MCP_UNAVAILABLE' } })
  })

  it('nothing listening at the URL: E_MCP_UNAVAILABLE naming the server', async () => {
    const port = await freePort()
    const { manager } = harness([httpServer('nowhere', `http://127.0.0.1:${port}/mcp`, { restart: { enabled: false } })])

    const error = await rejectionOf(manager.call('nowhere', 'echo', { text: 'x' }))

    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: expect.stringMatching(/^MCP server "nowhere" is unavailable: /) })
    expect(manager.server('nowhere').status).toBe('failed')
  })

  it('a reply larger than maxMessageBytes: E_MCP_PROTOCOL at once, the session is ended and a new one works', async () => {
    const { manager, registry } = harness([httpServer('web', shared.url, { headers: auth, maxMessageBytes: 1024 * 1024 })])
    await manager.server('web').listTools()
    const started = Date.now()

    const error = await rejectionOf(manager.call('web', 'huge', { bytes: 2_000_000 }))

    expect(Date.now() - started).toBeLessThan(3000)
    expect(error).toMatchObject({ code: 'E_MCP_PROTOCOL', message: 'MCP server "web" broke the protocol in tools/call: a message larger than the limit of 1048576 bytes' })
    await waitFor(() => manager.server('web').status === 'ready', 'a new session')
    expect((await manager.call('web', 'echo', { text: 'next' })).text).toBe('next')
    expect(await metricValue(registry, 'langvel_mcp_restarts_total', { server: 'web' })).toBe(1)
    // Under the limit, however large, it passes.
    expect((await manager.call('web', 'huge', { bytes: 900_000 })).text).toHaveLength(900_000)
  })

  it('refuses a reply above maxMessageBytes that arrives in one read', async () => {
    const { manager } = harness([httpServer('web', shared.url, { headers: auth, maxMessageBytes: 8192 })])
    await manager.server('web').listTools()

    const error = await rejectionOf(manager.call('web', 'huge', { bytes: 20_000 }))

    expect(error).toMatchObject({ code: 'E_MCP_PROTOCOL', message: 'MCP server "web" broke the protocol in tools/call: a message larger than the limit of 8192 bytes' })
  })

  it('an invalid result: E_MCP_PROTOCOL, the session goes on', async () => {
    const { manager } = harness([httpServer('web', shared.url, { headers: auth })])

    await expect(manager.call('web', 'bad_result')).rejects.toMatchObject({ code: 'E_MCP_PROTOCOL', message: expect.stringContaining('an invalid tools/call result') })
    await expect(manager.call('web', 'bad_structured')).rejects.toMatchObject({ code: 'E_MCP_PROTOCOL', message: expect.stringContaining('output schema') })

    expect((await manager.call('web', 'echo', { text: 'fine' })).text).toBe('fine')
    expect(manager.server('web').report().restarts).toBe(0)
  })

  it('a call that is never answered times out (E_MCP_TIMEOUT); an aborted one is cancelled on the server', async () => {
    const { manager } = harness([httpServer('web', shared.url, { headers: auth, callTimeoutMs: 300 })])
    const before = Number((await manager.call('web', 'cancelled_count')).text)

    await expect(manager.call('web', 'never')).rejects.toMatchObject({ code: 'E_MCP_TIMEOUT', message: 'MCP server "web" did not answer tools/call within 300 ms' })
    const abort = new AbortController()
    const call = manager.call('web', 'slow', { ms: 20_000 }, { signal: abort.signal, timeoutMs: 30_000 })
    await sleep(100)
    abort.abort('stop')
    await expect(call).rejects.toMatchObject({ code: 'E_ABORTED' })

    // The server counts it once the notifications/cancelled reaches it.
    let after = before
    for (const deadline = Date.now() + 3000; after === before && Date.now() < deadline; ) {
      await sleep(20)
      after = Number((await manager.call('web', 'cancelled_count')).text)
    }
    expect(after).toBe(before + 1)
  })

  it('change_tools over HTTP: the notification on the standalone stream reloads the tools', async () => {
    const fixture = await startHttpFixture(['--header-token', TOKEN])
    fixtures.push(fixture)
    const { manager } = harness([httpServer('web', fixture.url, { headers: auth })])
    let changed = 0
    manager.server('web').onToolsChanged(() => {
      changed += 1
    })
    await manager.server('web').listTools()
    // The standalone GET stream opens after initialize, in the background.
    await sleep(200)

    await manager.call('web', 'change_tools')
    await waitFor(() => changed === 1, 'onToolsChanged')

    expect((await manager.server('web').listTools()).map((tool) => tool.name)).toContain('added_later')
    expect((await manager.call('web', 'added_later')).text).toBe('added')
  })

  it('the server killed: E_MCP_UNAVAILABLE; started again on its port: a new session, and calls work again', async () => {
    const port = await freePort()
    const first = await startHttpFixture(['--header-token', TOKEN], port)
    fixtures.push(first)
    const { manager, logs, registry } = harness([httpServer('web', first.url, { headers: auth, restart: { enabled: true, maxRetries: 1000, baseDelayMs: 20, maxDelayMs: 100 } })])
    expect((await manager.call('web', 'echo', { text: 'before' })).text).toBe('before')

    await first.kill()
    const error = await rejectionOf(manager.call('web', 'echo', { text: 'while down' }))

    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: expect.stringMatching(/^MCP server "web" is unavailable: /) })
    expect(['restarting', 'starting', 'failed']).toContain(manager.server('web').status)
    await sleep(300)
    expect(manager.server('web').status).not.toBe('ready')

    const second = await startHttpFixture(['--header-token', TOKEN], port)
    fixtures.push(second)
    await waitFor(() => manager.server('web').status === 'ready', 'the reconnection', 5000)

    expect((await manager.call('web', 'echo', { text: 'after' })).text).toBe('after')
    expect(logs.messages('info').filter((message) => message === 'MCP server "web" is ready')).toHaveLength(2)
    expect(manager.server('web').report().restarts).toBeGreaterThanOrEqual(1)
    expect(await metricValue(registry, 'langvel_mcp_server_up', { server: 'web' })).toBe(1)
  })
})
