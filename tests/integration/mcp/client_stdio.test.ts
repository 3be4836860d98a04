import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { contentText } from '../../../framework/mcp'
import {
  FIXTURE_TOOLS,
  WRAPPED_SERVER,
  closeManagers,
  harness,
  killTagged,
  metricValue,
  pidOf,
  processAlive,
  recordedRequests,
  rejectionOf,
  sleep,
  stdioServer,
  taggedPids,
  waitFor,
} from './support/fixture'

/*
 * Langvel's MCP client (McpManager -> McpServerConnection) on the real
 * fixture server as a child process over stdio: what it lists and calls,
 * how it survives a server that floods stderr, breaks the protocol, hangs or
 * crashes, what it refuses before sending, and that it leaves no process
 * behind.
 */

let scratch: string
const tags: string[] = []

/** A stdio fixture config whose processes are ended after each test, whatever happens. */
function server(name: string, overrides: Parameters<typeof stdioServer>[1] = {}) {
  const config = stdioServer(name, overrides)
  tags.push(config.tag)
  return config
}

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'langvel-mcp-client-')))
})

afterEach(async () => {
  await closeManagers()
  for (const tag of tags.splice(0)) killTagged(tag)
})

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

describe('tools, resources and prompts of a stdio server', () => {
  it('lists the tools with their input schemas, and reports the server by its own name', async () => {
    const { manager } = harness([server('fx', { env: { FIXTURE_NAME: 'notes-server' } })])

    const tools = await manager.server('fx').listTools()

    expect(tools.map((tool) => tool.name)).toEqual(FIXTURE_TOOLS)
    const add = tools.find((tool) => tool.name === 'add')
    expect(add).toMatchObject({ description: 'Adds two numbers.', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } })
    expect(add?.outputSchema).toMatchObject({ properties: { sum: { type: 'number' } } })
    expect(manager.reports()).toEqual([
      expect.objectContaining({ name: 'fx', transport: 'stdio', status: 'ready', serverInfo: { name: 'notes-server', version: '1.0.0' }, restarts: 0, error: undefined }),
    ])
  })

  it('starts the server once for many first calls at the same time', async () => {
    const config = server('fx')
    const { manager } = harness([config])

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => manager.call('fx', 'echo', { text: `call ${i}` })))

    expect(results.map((result) => result.text)).toEqual(['call 0', 'call 1', 'call 2', 'call 3', 'call 4'])
    expect(taggedPids(config.tag)).toHaveLength(1)
  })

  it('calls a tool: the text of echo, the structured content and text of add', async () => {
    const { manager } = harness([server('fx')])

    const echo = await manager.call('fx', 'echo', { text: 'héllo wörld' })
    const sum = await manager.call('fx', 'add', { a: 2, b: 40 })

    expect(echo).toEqual({ content: [{ type: 'text', text: 'héllo wörld' }], structuredContent: undefined, text: 'héllo wörld' })
    expect(sum.structuredContent).toEqual({ sum: 42 })
    expect(sum.text).toBe('42')
  })

  it('turns a result flagged isError into E_MCP_TOOL_ERROR with the server text, and an unknown tool into E_TOOL_NOT_FOUND', async () => {
    const { manager } = harness([server('fx')])

    const failed = await rejectionOf(manager.call('fx', 'fail'))
    const unknown = await rejectionOf(manager.call('fx', 'no_such_tool'))

    expect(failed).toMatchObject({ code: 'E_MCP_TOOL_ERROR', message: expect.stringContaining('something went wrong') })
    expect(failed.message).toContain('"fx"')
    expect(unknown).toMatchObject({ code: 'E_TOOL_NOT_FOUND', details: { server: 'fx', available: FIXTURE_TOOLS } })
  })

  it('reads the notes://readme resource and fills in the greet prompt', async () => {
    const { manager } = harness([server('fx')])

    const resource = await manager.resource('fx', 'notes://readme')
    const prompt = await manager.prompt('fx', 'greet', { name: 'Ada' })

    expect(resource.contents).toEqual([{ uri: 'notes://readme', mimeType: 'text/plain', text: 'Fixture readme' }])
    expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ada!' } }])
  })

  it('contentText joins the text blocks and names the others', () => {
    expect(
      contentText([
        { type: 'text', text: 'one' },
        { type: 'image', data: '', mimeType: 'image/png' },
        { type: 'resource_link', uri: 'notes://readme', name: 'readme' },
        { type: 'text', text: 'two' },
      ]),
    ).toBe('one\n[image: image/png]\n[resource: notes://readme]\ntwo')
  })

  it("starts the child with the configured env on a minimal inherited one (not the parent's secrets) and in the configured cwd", async () => {
    process.env.LANGVEL_MCP_PARENT_SECRET = 'must-not-leak'
    try {
      const { manager } = harness([server('fx', { env: { FIXTURE_VAR: 'from the config' }, cwd: scratch })])

      const read = async (name: string) => (await manager.call('fx', 'env', { name })).text

      expect(await read('FIXTURE_VAR')).toBe('from the config')
      expect(await read('LANGVEL_MCP_PARENT_SECRET')).toBe('')
      expect(await read('PATH')).toBe(process.env.PATH)
      expect((await manager.call('fx', 'cwd')).text).toBe(scratch)
    } finally {
      delete process.env.LANGVEL_MCP_PARENT_SECRET
    }
  })
})

describe("a server's stderr", () => {
  const FLOOD_LINES = 100_000 // 10 MB of 100-byte lines

  it('a 10 MB flood before the first reply: the server still gets ready, and the log takes linesPerSecond lines of it, the rest counted', async () => {
    const { manager, logs } = harness([server('flood', { env: { STDERR_FLOOD_BYTES: String(FLOOD_LINES * 100), STDERR_LONG_LINE_BYTES: '300000' } })], {
      maxLineBytes: 200,
      linesPerSecond: 20,
    })
    const started = Date.now()

    expect((await manager.call('flood', 'echo', { text: 'still here' })).text).toBe('still here')
    const seconds = (Date.now() - started) / 1000

    const lines = logs.stderr('flood')
    expect(lines[0]).toMatch(/^flood line 1 x+$/)
    expect(lines[1]).toMatch(/^flood line 2 x+$/)
    expect(lines.length).toBeGreaterThan(0)
    // At most linesPerSecond per started second.
    expect(lines.length).toBeLessThanOrEqual(20 * (Math.ceil(seconds) + 1))

    await manager.close()
    const skipped = logs.records.filter((record) => record.mcp_server === 'flood' && typeof record.skipped === 'number')
    expect(skipped.length).toBeGreaterThan(0)
    expect(skipped[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('stderr lines than the log takes') })
    // Every line is either in the log or counted as skipped: the flood and the long line.
    const counted = skipped.reduce((sum, record) => sum + (record.skipped as number), 0)
    expect(logs.stderr('flood').length + counted).toBe(FLOOD_LINES + 1)
  })

  it('reports the skipped count within about a second while the server keeps running quietly', async () => {
    const { manager, logs } = harness([server('flood', { env: { STDERR_FLOOD_BYTES: String(FLOOD_LINES * 100) } })], { maxLineBytes: 200, linesPerSecond: 20 })

    await manager.server('flood').listTools()
    await sleep(1600)

    expect(manager.server('flood').status).toBe('ready')
    const skipped = logs.records.filter((record) => record.mcp_server === 'flood' && typeof record.skipped === 'number')
    expect(skipped.length).toBeGreaterThan(0)
    const counted = skipped.reduce((sum, record) => sum + (record.skipped as number), 0)
    expect(logs.stderr('flood').length + counted).toBe(FLOOD_LINES)
  })

  it('cuts a long line at maxLineBytes and says so', async () => {
    const { manager, logs } = harness([server('long', { env: { STDERR_LONG_LINE_BYTES: '300000' } })], { maxLineBytes: 200, linesPerSecond: 20 })

    await manager.server('long').listTools()
    await waitFor(() => logs.stderr('long').length > 0, 'the long line in the log')

    const [line] = logs.stderr('long')
    expect(line).toBe(`${'long line '.padEnd(200, 'y')} [line cut at 200 bytes]`)
    expect(logs.records.find((record) => record.stream === 'stderr')).toMatchObject({ level: 'info', mcp_server: 'long' })
  })

  it('names the last stderr line in the error of a server that exits during initialize', async () => {
    const { manager } = harness([server('gated', { script: WRAPPED_SERVER, env: { MCP_GATE_FILE: join(scratch, 'never-created') }, restart: { enabled: false } })])

    const error = await rejectionOf(manager.call('gated', 'echo', { text: 'x' }))

    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE', details: { server: 'gated', stderr: ['gate closed'] } })
    expect(error.message).toBe('MCP server "gated" is unavailable: the server process exited during initialize (its last output: gate closed)')
  })
})

describe('a server that breaks the protocol', () => {
  const limits = { maxMessageBytes: 1024 * 1024 }

  it.each([
    ['garbage', {}, /a message that is not JSON/],
    ['wrong_id', {}, /a response for request id 987654, which was never sent/],
    ['huge', { bytes: 2_000_000 }, /a message larger than the limit of 1048576 bytes/],
  ])('%s: E_MCP_PROTOCOL in tools/call at once, the session is ended, the process replaced, and the next call works', async (tool, args, reason) => {
    const config = server('fx', limits)
    const { manager, registry } = harness([config])
    await manager.server('fx').listTools()
    const first = pidOf(config.tag)
    const started = Date.now()

    const error = await rejectionOf(manager.call('fx', tool, args))

    expect(Date.now() - started).toBeLessThan(2000) // the call timeout is 5 s: no waiting for it
    expect(error).toMatchObject({ code: 'E_MCP_PROTOCOL' })
    expect(error.message).toMatch(/^MCP server "fx" broke the protocol in tools\/call: /)
    expect(error.message).toMatch(reason)
    await waitFor(() => manager.server('fx').status === 'ready', 'the restart')
    expect((await manager.call('fx', 'echo', { text: 'again' })).text).toBe('again')
    expect(manager.server('fx').report().restarts).toBe(1)
    expect(await metricValue(registry, 'langvel_mcp_restarts_total', { server: 'fx' })).toBe(1)
    await waitFor(() => !processAlive(first), 'the old process to end')
    expect(taggedPids(config.tag)).toHaveLength(1)
  })

  it.each([
    ['bad_result', /an invalid tools\/call result \(content: /],
    ['bad_structured', /Structured content does not match the tool's output schema/],
  ])('%s: E_MCP_PROTOCOL in tools/call at once; the session and the process stay, the next call works right away', async (tool, reason) => {
    const config = server('fx', limits)
    const { manager } = harness([config])
    await manager.server('fx').listTools()
    const pid = pidOf(config.tag)
    const started = Date.now()

    const error = await rejectionOf(manager.call('fx', tool))

    expect(Date.now() - started).toBeLessThan(2000)
    expect(error).toMatchObject({ code: 'E_MCP_PROTOCOL' })
    expect(error.message).toMatch(/^MCP server "fx" broke the protocol in tools\/call: /)
    expect(error.message).toMatch(reason)
    expect(manager.server('fx').status).toBe('ready')
    expect((await manager.call('fx', 'echo', { text: 'same session' })).text).toBe('same session')
    expect(manager.server('fx').report().restarts).toBe(0)
    expect(taggedPids(config.tag)).toEqual([pid])
  })

  it('refuses a reply above a small maxMessageBytes however it arrives', async () => {
    // The fixture's tools/list is about 4 kB.
    const { manager } = harness([server('fx', { maxMessageBytes: 8192 })])
    await manager.server('fx').listTools()

    await expect(manager.call('fx', 'huge', { bytes: 20_000 })).rejects.toMatchObject({ code: 'E_MCP_PROTOCOL', message: expect.stringContaining('the limit of 8192 bytes') })
  })

  it('takes a reply under maxMessageBytes however large', async () => {
    const { manager } = harness([server('fx', limits)])

    const result = await manager.call('fx', 'huge', { bytes: 900_000 })

    expect(result.text).toHaveLength(900_000)
  })
})

describe('calls that take too long', () => {
  it('a server that never answers: E_MCP_TIMEOUT after the call timeout, and the server stays usable', async () => {
    const config = server('fx', { callTimeoutMs: 400 })
    const { manager } = harness([config])
    await manager.server('fx').listTools()
    const started = Date.now()

    const error = await rejectionOf(manager.call('fx', 'never'))

    const elapsed = Date.now() - started
    expect(error).toMatchObject({ code: 'E_MCP_TIMEOUT', message: 'MCP server "fx" did not answer tools/call within 400 ms' })
    expect(elapsed).toBeGreaterThanOrEqual(390)
    expect(elapsed).toBeLessThan(2000)
    // A per-call limit overrides the server's.
    await expect(manager.call('fx', 'never', {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_MCP_TIMEOUT', message: expect.stringContaining('within 100 ms') })
    expect((await manager.call('fx', 'echo', { text: 'alive' })).text).toBe('alive')
    expect(manager.server('fx').report().restarts).toBe(0)
  })

  it('a signal aborted mid-call rejects at once with the abort error, and the server is told to cancel', async () => {
    const { manager, logs } = harness([server('fx')])
    expect((await manager.call('fx', 'cancelled_count')).text).toBe('0')
    const abort = new AbortController()
    const call = manager.call('fx', 'slow', { ms: 20_000 }, { signal: abort.signal })
    await sleep(150)
    const aborted = Date.now()

    abort.abort('the user went away')
    const error = await rejectionOf(call)

    expect(Date.now() - aborted).toBeLessThan(200)
    expect(error).toMatchObject({ code: 'E_ABORTED', message: 'Run aborted: the user went away' })
    await waitFor(() => logs.stderr('fx').some((line) => /^cancelled \d+$/.test(line)), 'the server to log the cancellation')
    expect((await manager.call('fx', 'cancelled_count')).text).toBe('1')
  })

  it('a call that times out is cancelled on the server too', async () => {
    const { manager, logs } = harness([server('fx')])
    await manager.server('fx').listTools()

    await expect(manager.call('fx', 'slow', { ms: 20_000 }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'E_MCP_TIMEOUT' })

    await waitFor(() => logs.stderr('fx').some((line) => /^cancelled \d+$/.test(line)), 'the server to log the cancellation')
    expect((await manager.call('fx', 'cancelled_count')).text).toBe('1')
  })

  it('a signal aborted while the server starts fails that call at once; the start goes on for the others', async () => {
    const config = server('slow-start', { script: WRAPPED_SERVER, env: { MCP_START_DELAY_MS: '600' } })
    const { manager } = harness([config])
    const abort = new AbortController()
    const first = manager.call('slow-start', 'echo', { text: 'first' }, { signal: abort.signal })
    const second = manager.call('slow-start', 'echo', { text: 'second' })
    await sleep(100)
    const aborted = Date.now()

    abort.abort('gave up')

    await expect(first).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(Date.now() - aborted).toBeLessThan(200)
    expect(manager.server('slow-start').status).toBe('starting')
    expect((await second).text).toBe('second')
    expect(taggedPids(config.tag)).toHaveLength(1)
  })

  it('a signal aborted before the call rejects without starting the server', async () => {
    const config = server('fx')
    const { manager } = harness([config])
    const abort = new AbortController()
    abort.abort('too late')

    await expect(manager.call('fx', 'echo', { text: 'x' }, { signal: abort.signal })).rejects.toMatchObject({ code: 'E_ABORTED' })

    expect(manager.server('fx').status).toBe('idle')
    expect(taggedPids(config.tag)).toEqual([])
  })
})

describe('a server that exits, or cannot start', () => {
  it('crashes mid-call: E_MCP_UNAVAILABLE at once naming the server, restarted with backoff, and a later call works', async () => {
    const config = server('fx')
    const { manager, registry } = harness([config])
    await manager.server('fx').listTools()
    const first = pidOf(config.tag)
    const started = Date.now()

    const error = await rejectionOf(manager.call('fx', 'crash'))

    expect(Date.now() - started).toBeLessThan(2000)
    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: 'MCP server "fx" is unavailable: the server process exited during tools/call' })
    // Until the restart, calls fail fast rather than wait.
    expect(manager.server('fx').status).toBe('restarting')
    await expect(manager.call('fx', 'echo', { text: 'x' })).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: expect.stringContaining('it is being started again') })
    await waitFor(() => manager.server('fx').status === 'ready', 'the restart')
    expect((await manager.call('fx', 'echo', { text: 'back' })).text).toBe('back')
    expect(manager.server('fx').report().restarts).toBe(1)
    expect(await metricValue(registry, 'langvel_mcp_restarts_total', { server: 'fx' })).toBe(1)
    expect(processAlive(first)).toBe(false)
    expect(taggedPids(config.tag)).toHaveLength(1)
    expect(taggedPids(config.tag)).not.toContain(first)
  })

  it('a command that does not exist: a clear E_MCP_UNAVAILABLE, maxRetries restarts, then failed and left alone', async () => {
    const { manager, registry } = harness([server('ghost', { command: join(scratch, 'no-such-mcp-server'), args: [], restart: { enabled: true, maxRetries: 2, baseDelayMs: 20, maxDelayMs: 40 } })])

    const error = await rejectionOf(manager.call('ghost', 'echo', { text: 'x' }))

    expect(error).toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    expect(error.message).toBe(`MCP server "ghost" is unavailable: the command "${join(scratch, 'no-such-mcp-server')}" was not found`)
    await waitFor(() => manager.server('ghost').status === 'failed', 'the server to be given up on')
    const report = manager.server('ghost').report()
    expect(report).toMatchObject({ status: 'failed', restarts: 2, error: { code: 'E_MCP_UNAVAILABLE', message: expect.stringContaining('was not found') } })
    await sleep(200)
    expect(manager.server('ghost').report().restarts).toBe(2)
    expect(await metricValue(registry, 'langvel_mcp_restarts_total', { server: 'ghost' })).toBe(2)
    expect(await metricValue(registry, 'langvel_mcp_server_up', { server: 'ghost' })).toBe(0)
  })

  it('with restart disabled, a crashed server is failed and stays down: no new process, calls refused', async () => {
    const config = server('fx', { restart: { enabled: false, maxRetries: 3, baseDelayMs: 20, maxDelayMs: 40 } })
    const { manager } = harness([config])
    await manager.server('fx').listTools()

    await expect(manager.call('fx', 'crash')).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    expect(manager.server('fx').status).toBe('failed')
    await sleep(200)

    expect(manager.server('fx').report()).toMatchObject({ status: 'failed', restarts: 0 })
    expect(taggedPids(config.tag)).toEqual([])
    await expect(manager.call('fx', 'echo', { text: 'x' })).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: expect.stringContaining('exited') })
    expect(taggedPids(config.tag)).toEqual([])
  })

  it('a server given up on is tried again by use, at most once per maxDelayMs', async () => {
    const gate = join(scratch, `gate-${Date.now()}`)
    const { manager } = harness([server('gated', { script: WRAPPED_SERVER, env: { MCP_GATE_FILE: gate }, restart: { enabled: true, maxRetries: 1, baseDelayMs: 20, maxDelayMs: 500 } })])
    await expect(manager.call('gated', 'echo', { text: 'x' })).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    await waitFor(() => manager.server('gated').status === 'failed', 'the server to be given up on')

    writeFileSync(gate, 'open')
    // Within maxDelayMs of the last attempt: refused without a new attempt.
    await expect(manager.call('gated', 'echo', { text: 'x' })).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: expect.stringContaining('gate closed') })
    await sleep(550)

    expect((await manager.call('gated', 'echo', { text: 'open now' })).text).toBe('open now')
    expect(manager.server('gated').status).toBe('ready')
  })
})

describe('arguments', () => {
  it('refuses arguments that break the input schema before sending anything (E_TOOL_INPUT), as the bytes on the server stdin show', async () => {
    const record = join(scratch, `stdin-${Date.now()}.jsonl`)
    const { manager, registry } = harness([server('fx', { script: WRAPPED_SERVER, env: { MCP_RECORD_FILE: record } })])
    await manager.server('fx').listTools()
    const started = Date.now()

    const wrongType = await rejectionOf(manager.call('fx', 'slow', { ms: 'x' }))
    const missing = await rejectionOf(manager.call('fx', 'add', { a: 1 }))

    expect(Date.now() - started).toBeLessThan(500)
    expect(wrongType).toMatchObject({ code: 'E_TOOL_INPUT', details: { server: 'fx', tool: 'slow' } })
    expect(wrongType.message).toMatch(/^Invalid input for tool "slow": ms: must be integer/)
    expect(missing).toMatchObject({ code: 'E_TOOL_INPUT', message: expect.stringContaining("must have required property 'b'") })
    expect(await metricValue(registry, 'langvel_mcp_errors_total', { server: 'fx', kind: 'invalid_arguments' })).toBe(2)
    // What reached the server: initialize and tools/list only.
    expect(recordedRequests(record).map((request) => request.method)).toEqual(['initialize', 'notifications/initialized', 'tools/list'])

    expect((await manager.call('fx', 'slow', { ms: 1 })).text).toBe('slept 1')
    await waitFor(() => recordedRequests(record).some((request) => request.method === 'tools/call'), 'the valid call on stdin')
    expect(recordedRequests(record).filter((request) => request.method === 'tools/call')).toEqual([expect.objectContaining({ params: expect.objectContaining({ name: 'slow', arguments: { ms: 1 } }) })])
  })
})

describe('a server whose tools change', () => {
  it('change_tools: onToolsChanged fires, listTools() and the toolset show the new tool, which can be called', async () => {
    const { manager, logs } = harness([server('fx')])
    const toolset = manager.tools('fx')
    expect((await toolset.load()).map((tool) => tool.name)).toEqual(FIXTURE_TOOLS)
    let changed = 0
    const unsubscribe = manager.server('fx').onToolsChanged(() => {
      changed += 1
    })

    expect((await manager.call('fx', 'change_tools')).text).toBe('ok')
    await waitFor(() => changed === 1, 'onToolsChanged')

    expect((await manager.server('fx').listTools()).map((tool) => tool.name)).toEqual([...FIXTURE_TOOLS, 'added_later'])
    const reloaded = await toolset.load()
    expect(reloaded.map((tool) => tool.name)).toEqual([...FIXTURE_TOOLS, 'added_later'])
    const added = reloaded.find((tool) => tool.name === 'added_later')
    expect(await added?.call({})).toBe('added')
    expect((await manager.call('fx', 'added_later')).text).toBe('added')
    expect(logs.messages('info')).toContain('MCP server "fx" changed its tools')

    unsubscribe()
    await manager.call('fx', 'change_tools')
    await waitFor(() => logs.messages('info').filter((message) => message === 'MCP server "fx" changed its tools').length === 2, 'the second change')
    expect(changed).toBe(1)
  })
})

describe('shutdown', () => {
  it('close() ends every child process, starts none again, and refuses later calls', async () => {
    const one = server('one')
    const two = server('two')
    const { manager, registry } = harness([one, two])
    await manager.start()
    const pids = [pidOf(one.tag), pidOf(two.tag)]
    expect(await metricValue(registry, 'langvel_mcp_server_up', { server: 'one' })).toBe(1)

    await manager.close()

    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }))
    expect(manager.reports().map((report) => report.status)).toEqual(['stopped', 'stopped'])
    expect(await metricValue(registry, 'langvel_mcp_server_up', { server: 'one' })).toBe(0)
    await expect(manager.call('one', 'echo', { text: 'x' })).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE', message: 'MCP server "one" is unavailable: the application is shutting down' })
    await sleep(150)
    expect([...taggedPids(one.tag), ...taggedPids(two.tag)]).toEqual([])
  })

  it('close() during a start in progress waits for it and leaves no child behind', async () => {
    const config = server('slow-start', { script: WRAPPED_SERVER, env: { MCP_START_DELAY_MS: '600' } })
    const { manager } = harness([config])
    const starting = manager.server('slow-start').start()
    await waitFor(() => taggedPids(config.tag).length === 1, 'the child process')
    const pid = pidOf(config.tag)
    expect(manager.server('slow-start').status).toBe('starting')

    await manager.close()

    expect(processAlive(pid)).toBe(false)
    await expect(starting).resolves.toBeUndefined()
    expect(manager.server('slow-start').status).toBe('stopped')
    await sleep(150)
    expect(taggedPids(config.tag)).toEqual([])
  })

  it('close() while a restart is pending starts nothing', async () => {
    const config = server('fx', { restart: { enabled: true, maxRetries: 3, baseDelayMs: 200, maxDelayMs: 400 } })
    const { manager } = harness([config])
    await manager.server('fx').listTools()
    await expect(manager.call('fx', 'crash')).rejects.toMatchObject({ code: 'E_MCP_UNAVAILABLE' })
    expect(manager.server('fx').status).toBe('restarting')

    await manager.close()
    await sleep(500)

    expect(manager.server('fx').status).toBe('stopped')
    expect(taggedPids(config.tag)).toEqual([])
  })
})

describe('metrics', () => {
  it('counts calls by tool and outcome, errors by kind, durations, and whether the server is up', async () => {
    const { manager, registry } = harness([server('fx', { callTimeoutMs: 200 })])

    await manager.call('fx', 'echo', { text: 'a' })
    await manager.call('fx', 'echo', { text: 'b' })
    await manager.resource('fx', 'notes://readme')
    await rejectionOf(manager.call('fx', 'fail'))
    await rejectionOf(manager.call('fx', 'add', { a: 'one', b: 2 }))
    await rejectionOf(manager.call('fx', 'never'))
    await rejectionOf(manager.call('fx', 'bad_result'))
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 50)
    await rejectionOf(manager.call('fx', 'slow', { ms: 5000 }, { signal: abort.signal }))

    const calls = (labels: Record<string, string>) => metricValue(registry, 'langvel_mcp_calls_total', { server: 'fx', ...labels })
    const errors = (kind: string) => metricValue(registry, 'langvel_mcp_errors_total', { server: 'fx', kind })
    expect(await calls({ tool: 'echo', outcome: 'success' })).toBe(2)
    expect(await calls({ tool: 'resources/read', outcome: 'success' })).toBe(1)
    expect(await calls({ tool: 'fail', outcome: 'error' })).toBe(1)
    expect(await calls({ outcome: 'error' })).toBe(5)
    expect(await errors('tool_error')).toBe(1)
    expect(await errors('invalid_arguments')).toBe(1)
    expect(await errors('timeout')).toBe(1)
    expect(await errors('protocol')).toBe(1)
    expect(await errors('cancelled')).toBe(1)
    const durations = ((await registry.getSingleMetric('langvel_mcp_call_duration_seconds')?.get())?.values ?? []) as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>
    const sample = (suffix: string, tool: string) => durations.find((value) => value.metricName === `langvel_mcp_call_duration_seconds_${suffix}` && value.labels.tool === tool)?.value
    expect(sample('count', 'echo')).toBe(2)
    expect(sample('sum', 'never')).toBeGreaterThanOrEqual(0.19)
    expect(await metricValue(registry, 'langvel_mcp_server_up', { server: 'fx' })).toBe(1)
    expect(await registry.metrics()).toContain('langvel_mcp_calls_total{server="fx",tool="echo",outcome="success"} 2')
  })

  it("counts a call that ended the session under its tool's name, not _unknown", async () => {
    const { manager, registry } = harness([server('fx')])
    await manager.server('fx').listTools()

    await rejectionOf(manager.call('fx', 'crash'))

    expect(await metricValue(registry, 'langvel_mcp_calls_total', { server: 'fx', tool: 'crash', outcome: 'error' })).toBe(1)
    expect(await metricValue(registry, 'langvel_mcp_calls_total', { server: 'fx', tool: '_unknown' })).toBe(0)
  })
})
