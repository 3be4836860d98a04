import { execFileSync } from 'node:child_process'
import { getEventListeners } from 'node:events'
import { processAlive } from '../../../framework/support/processes'
import { SERVER, closeManagers, harness, httpServer, newTag, rejectionOf, sleep, startHttpFixture, stdioServer, taggedPids, waitFor, type HttpFixture } from './support/fixture'

/**
 * The client under servers that fail in the ways real ones do: an HTTP server
 * that dies while answering, responses of cancelled calls, a run's signal
 * shared by many calls, a server that crashes soon after every start, a
 * server that never completes initialize, and one that breaks the protocol
 * while starting.
 */

/** A stdio "server" written inline: node -e <script>, tagged so its processes can be found. */
function inlineServer(name: string, script: string, overrides: Parameters<typeof stdioServer>[1] = {}) {
  const tag = newTag(name)
  return stdioServer(name, { ...overrides, tag, args: ['-e', script, '--', tag] })
}

/** Established TCP connections from this process to `port`. */
function connectionsTo(port: number): number {
  const listing = execFileSync('ss', ['-tnH', 'state', 'established', `dst 127.0.0.1:${port}`], { encoding: 'utf8' })
  return listing.split('\n').filter((line) => line.trim() !== '').length
}

afterEach(closeManagers)

describe('MCP over HTTP: a server that goes away', () => {
  let fixture: HttpFixture | undefined
  afterEach(async () => fixture?.kill())

  it('fails a call in flight at once with E_MCP_UNAVAILABLE when the server dies while answering, and reconnects once it is back', async () => {
    fixture = await startHttpFixture()
    const port = fixture.port
    const { manager } = harness([httpServer('web', fixture.url, { callTimeoutMs: 20_000, restart: { maxRetries: 100, baseDelayMs: 50, maxDelayMs: 200 } })])
    await manager.server('web').listTools()

    const started = Date.now()
    const call = rejectionOf(manager.call('web', 'slow', { ms: 10_000 }))
    await sleep(300)
    await fixture.kill()
    const error = await call

    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    expect(error.message).toContain('MCP server "web"')
    expect(Date.now() - started).toBeLessThan(5000)

    fixture = await startHttpFixture([], port)
    await waitFor(() => manager.server('web').status === 'ready', 'a new session with the restarted server', 10_000)
    await expect(manager.call('web', 'echo', { text: 'back' })).resolves.toMatchObject({ text: 'back' })
  })

  it('closes the response of each call that times out, so connections do not pile up', async () => {
    fixture = await startHttpFixture()
    const { manager } = harness([httpServer('web', fixture.url)])
    await manager.call('web', 'echo', { text: 'warm' })
    const before = connectionsTo(fixture.port)

    for (let index = 0; index < 15; index++) {
      await expect(manager.call('web', 'never', {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_MCP_TIMEOUT' })
    }
    await sleep(200)

    expect(connectionsTo(fixture.port)).toBeLessThanOrEqual(before + 2)
    await expect(manager.call('web', 'echo', { text: 'still fine' })).resolves.toMatchObject({ text: 'still fine' })
  })
})

describe('MCP calls and the caller’s signal', () => {
  it('leaves no listener on a run signal shared by many calls, and aborting it later cancels nothing that finished', async () => {
    const { manager } = harness([stdioServer('fx')])
    const run = new AbortController()

    for (let index = 0; index < 15; index++) await manager.call('fx', 'echo', { text: String(index) }, { signal: run.signal })

    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0)
    run.abort()
    await sleep(100)
    await expect(manager.call('fx', 'cancelled_count', {})).resolves.toMatchObject({ text: '0' })
  })

  it('bounds the wait for a server that is still starting by initTimeoutMs, and the call by its own timeout once sent', async () => {
    // Answers nothing for 3 s, then becomes the fixture.
    const slowStart = inlineServer('late', `setTimeout(() => require(${JSON.stringify(SERVER)}), 3000)`, { initTimeoutMs: 500, restart: { enabled: false } })
    const { manager } = harness([slowStart, stdioServer('fx', { initTimeoutMs: 10_000 })])

    const started = Date.now()
    const error = await rejectionOf(manager.call('late', 'echo', { text: 'x' }, { timeoutMs: 100 }))
    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    expect(error.message).toContain('did not complete initialize within 500 ms')
    expect(Date.now() - started).toBeLessThan(2500)

    // A start longer than the call's own timeout is not held against the call.
    await expect(manager.call('fx', 'echo', { text: 'cold' }, { timeoutMs: 50 })).resolves.toMatchObject({ text: 'cold' })
    await expect(manager.call('fx', 'slow', { ms: 2000 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_MCP_TIMEOUT' })
  })
})

describe('MCP server lifecycle', () => {
  it('gives up on a server that crashes soon after every start, after maxRetries', async () => {
    const crashing = inlineServer('flaky', `require(${JSON.stringify(SERVER)}); setTimeout(() => process.exit(1), 150)`, {
      restart: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 5000 },
    })
    const { manager } = harness([crashing])
    await manager.server('flaky').start()

    await waitFor(() => manager.server('flaky').status === 'failed', 'the server to be given up on', 10_000)
    expect(manager.server('flaky').report().restarts).toBe(2)
  })

  it('close() during a start that never completes ends the child at once instead of waiting for the initialize timeout', async () => {
    const silent = inlineServer('silent', 'setInterval(() => undefined, 1000)', { initTimeoutMs: 60_000 })
    const { manager } = harness([silent])
    const start = manager.server('silent').start()
    await waitFor(() => taggedPids(silent.tag).length === 1, 'the child to start')
    const [pid] = taggedPids(silent.tag)

    const closing = Date.now()
    await manager.close()
    await start

    expect(Date.now() - closing).toBeLessThan(8000)
    expect(processAlive(pid)).toBe(false)
    expect(manager.server('silent').status).toBe('stopped')
  })

  it('a server that breaks the protocol while starting is E_MCP_PROTOCOL naming initialize', async () => {
    const garbage = inlineServer('garbled', "process.stdin.on('data', () => process.stdout.write('this is not json\\n'))", { restart: { enabled: false } })
    const { manager } = harness([garbage])

    const error = await rejectionOf(manager.call('garbled', 'echo', { text: 'x' }))

    expect(error).toMatchObject({ code: 'E_MCP_PROTOCOL' })
    expect(error.message).toBe('MCP server "garbled" broke the protocol in initialize: a message that is not JSON (Unexpected token \'h\', "this is not json" is not valid JSON)')
    expect(manager.server('garbled').report()).toMatchObject({ status: 'failed', error: { code: 'E_MCP_PROTOCOL' } })
  })
})
