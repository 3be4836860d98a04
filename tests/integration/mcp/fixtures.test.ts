import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ErrorCode, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { waitFor } from '../http/support/wait_for'

/*
 * The MCP fixture server (tests/fixtures/mcp/server.cjs) does what its header
 * says, checked with the SDK's own client, and, for the tools that break the
 * protocol on purpose, byte by byte on a hand-driven stdio session.
 */

const SERVER = resolve(__dirname, '..', '..', 'fixtures', 'mcp', 'server.cjs')
const TOOLS = ['echo', 'add', 'slow', 'cancelled_count', 'never', 'crash', 'fail', 'huge', 'garbage', 'wrong_id', 'bad_result', 'bad_structured', 'change_tools', 'env', 'cwd']
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
}
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' }

const clients: Client[] = []
const children: ChildProcess[] = []
const pids: number[] = []
let scratch: string

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'langvel-mcp-fixture-')))
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)))
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  rmSync(scratch, { recursive: true, force: true })
})

const textOf = (result: unknown): string => {
  const content = (result as { content: Array<{ type: string; text?: string }> }).content
  return content.map((block) => block.text ?? '').join('')
}

/** The SDK client on the stdio fixture, its stderr drained into a string. */
async function stdioClient(options: { env?: Record<string, string>; cwd?: string } = {}) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], env: options.env, cwd: options.cwd, stderr: 'pipe' })
  let stderr = ''
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const client = new Client({ name: 'fixtures-test', version: '1.0.0' })
  clients.push(client)
  await client.connect(transport)
  if (transport.pid) pids.push(transport.pid)
  return { client, stderr: () => stderr }
}

/** A stdio session driven by hand: JSON lines in, stdout lines out, nothing parsed for us. */
function rawSession(env: Record<string, string> = {}, options: { readStderr?: boolean } = {}) {
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line))
  if (options.readStderr !== false) child.stderr.resume()
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const send = (message: object) => child.stdin.write(JSON.stringify(message) + '\n')
  const call = (id: number, name: string, args: object = {}) => send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })
  const parsed = () => lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as { id?: unknown; result?: any; method?: string }]
    } catch {
      return []
    }
  })
  const reply = async (id: number) => {
    await waitFor(() => parsed().some((message) => message.id === id), `the reply to ${id}`)
    return parsed().find((message) => message.id === id)!
  }
  const initialize = async () => {
    send(INITIALIZE)
    await reply(1)
    send(INITIALIZED)
  }
  return { child, lines, parsed, send, call, reply, initialize, exited }
}

/** Spawns the HTTP fixture and reads the one line it prints. */
async function httpFixture(args: string[]) {
  const child = spawn(process.execPath, [SERVER, '--http', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  child.stderr.resume()
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line))
  await waitFor(() => lines.length > 0, 'the port line')
  const { port } = JSON.parse(lines[0]) as { port: number }
  return { child, lines, url: new URL(`http://127.0.0.1:${port}/mcp`) }
}

describe('the stdio fixture, through the SDK client', () => {
  let client: Client
  beforeAll(async () => {
    ;({ client } = await stdioClient({ env: { FIXTURE_NAME: 'alpha', FIXTURE_VAR: 'from the env' }, cwd: scratch }))
  })

  it('names itself after FIXTURE_NAME and lists every tool with its schemas', async () => {
    expect(client.getServerVersion()).toEqual({ name: 'alpha', version: '1.0.0' })
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true })
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(TOOLS)
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]))
    expect(byName.echo.inputSchema).toMatchObject({ type: 'object', properties: { text: { type: 'string' } }, required: ['text'] })
    expect(byName.add.outputSchema).toMatchObject({ type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] })
    expect(byName.bad_structured.outputSchema).toMatchObject({ properties: { n: { type: 'number' } } })
    expect(byName.never.inputSchema).toMatchObject({ type: 'object', properties: {} })
  })

  it('echoes, adds with structured content, fails with isError and returns a huge text', async () => {
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'héllo' } }))).toBe('héllo')
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })
    expect(sum.structuredContent).toEqual({ sum: 42 })
    expect(textOf(sum)).toBe('42')
    const failed = await client.callTool({ name: 'fail', arguments: {} })
    expect(failed.isError).toBe(true)
    expect(textOf(failed)).toBe('something went wrong')
    const huge = textOf(await client.callTool({ name: 'huge', arguments: { bytes: 1_500_000 } }))
    expect(huge.length).toBe(1_500_000)
    expect(huge).toMatch(/^x+$/)
  })

  it('rejects arguments that break the input schema', async () => {
    const result = await client.callTool({ name: 'add', arguments: { a: 'two', b: 1 } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/Input validation error/)
  })

  it('sees the environment and working directory it was started with', async () => {
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: 'FIXTURE_VAR' } }))).toBe('from the env')
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: 'NOT_SET_ANYWHERE' } }))).toBe('')
    expect(textOf(await client.callTool({ name: 'cwd', arguments: {} }))).toBe(scratch)
  })

  it('serves the readme resource and the greet prompt', async () => {
    expect((await client.listResources()).resources).toEqual([expect.objectContaining({ uri: 'notes://readme', name: 'readme', mimeType: 'text/plain' })])
    expect((await client.readResource({ uri: 'notes://readme' })).contents).toEqual([{ uri: 'notes://readme', mimeType: 'text/plain', text: 'Fixture readme' }])
    expect((await client.listPrompts()).prompts).toEqual([expect.objectContaining({ name: 'greet', arguments: [expect.objectContaining({ name: 'name', required: true })] })])
    expect((await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } })).messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ada!' } }])
  })

  it('answers slow after its delay, and never never (the call times out, the server stays up)', async () => {
    expect(textOf(await client.callTool({ name: 'slow', arguments: { ms: 30 } }))).toBe('slept 30')
    const started = Date.now()
    await expect(client.callTool({ name: 'never', arguments: {} }, undefined, { timeout: 300 })).rejects.toMatchObject({ code: ErrorCode.RequestTimeout })
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    await expect(client.ping()).resolves.toEqual({})
  })

  it('the SDK client refuses bad_result and bad_structured', async () => {
    await client.listTools() // the client checks structuredContent only against output schemas it has listed
    await expect(client.callTool({ name: 'bad_result', arguments: {} })).rejects.toThrow()
    await expect(client.callTool({ name: 'bad_structured', arguments: {} })).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringMatching(/structured content/i) })
  })
})

describe('the stdio fixture: cancellation, list changes, stderr', () => {
  it('counts a cancelled slow call and writes `cancelled <id>` to stderr', async () => {
    const { client, stderr } = await stdioClient()
    expect(textOf(await client.callTool({ name: 'cancelled_count', arguments: {} }))).toBe('0')
    const abort = new AbortController()
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal: abort.signal })
    setTimeout(() => abort.abort('changed my mind'), 100)
    await expect(call).rejects.toThrow()
    await waitFor(() => /^cancelled \d+$/m.test(stderr()), 'the cancelled line on stderr')
    expect(textOf(await client.callTool({ name: 'cancelled_count', arguments: {} }))).toBe('1')
  })

  it('change_tools sends tools/list_changed and the new tool is listed and callable', async () => {
    const { client } = await stdioClient()
    let changed = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1
    })
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('added_later')
    expect(textOf(await client.callTool({ name: 'change_tools', arguments: {} }))).toBe('ok')
    await waitFor(() => changed === 1, 'the list_changed notification')
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('added_later')
    expect(textOf(await client.callTool({ name: 'added_later', arguments: {} }))).toBe('added')
    // A second call does not register twice; it notifies again.
    expect(textOf(await client.callTool({ name: 'change_tools', arguments: {} }))).toBe('ok')
    await waitFor(() => changed === 2, 'the second list_changed notification')
  })

  it('floods stderr and writes one long line before it answers; a client that drains stderr gets through', async () => {
    const { client, stderr } = await stdioClient({ env: { STDERR_FLOOD_BYTES: '2000000', STDERR_LONG_LINE_BYTES: '300000' } })
    await expect(client.ping()).resolves.toEqual({})
    await waitFor(() => stderr().length >= 2_300_001, 'all the stderr bytes')
    const lines = stderr().split('\n')
    expect(lines[0]).toMatch(/^flood line 1 x+$/)
    expect(lines[0].length).toBe(99)
    const long = lines.filter((line) => line.startsWith('long line '))
    expect(long.map((line) => line.length)).toEqual([300_000])
    expect(stderr().length).toBe(2_300_001)
  })

  it('a client that does not read stderr gets no initialize reply until it does', async () => {
    const session = rawSession({ STDERR_FLOOD_BYTES: '4000000' }, { readStderr: false })
    session.send(INITIALIZE)
    await new Promise((done) => setTimeout(done, 800))
    expect(session.lines).toEqual([])
    session.child.stderr.resume()
    expect((await session.reply(1)).result.serverInfo).toEqual({ name: 'fixture', version: '1.0.0' })
  })
})

describe('the stdio fixture, byte by byte', () => {
  it('garbage, wrong_id, bad_result and bad_structured write what they say and never answer for real', async () => {
    const session = rawSession()
    await session.initialize()
    session.call(2, 'garbage')
    await waitFor(() => session.lines.includes('this is not json'), 'the non-JSON line')
    session.call(3, 'wrong_id')
    await waitFor(() => session.lines.includes('{"jsonrpc":"2.0","id":987654,"result":{"content":[]}}'), 'the reply to a request never made')
    session.call(4, 'bad_result')
    expect(await session.reply(4)).toEqual({ jsonrpc: '2.0', id: 4, result: { content: 'not an array' } })
    session.call(5, 'bad_structured')
    expect((await session.reply(5)).result).toEqual({ content: [{ type: 'text', text: '{"n":"not a number"}' }], structuredContent: { n: 'not a number' } })
    // A later request is answered, and still nothing came for 2 and 3.
    session.send({ jsonrpc: '2.0', id: 6, method: 'ping' })
    await session.reply(6)
    expect(session.parsed().filter((message) => message.id === 2 || message.id === 3)).toEqual([])
    // Every stdout line but the garbage one is JSON.
    const notJson = session.lines.filter((line) => {
      try {
        JSON.parse(line)
        return false
      } catch {
        return true
      }
    })
    expect(notJson).toEqual(['this is not json'])
  })

  it('crash exits with code 1 during the call, without a reply', async () => {
    const session = rawSession()
    await session.initialize()
    session.call(2, 'crash')
    expect(await session.exited).toBe(1)
    expect(session.parsed().filter((message) => message.id === 2)).toEqual([])
  })

  it('exits (code 0) once its stdin is closed, even with a call that never ends', async () => {
    const session = rawSession()
    await session.initialize()
    session.call(2, 'never')
    session.send({ jsonrpc: '2.0', id: 3, method: 'ping' })
    await session.reply(3)
    session.child.stdin.end()
    expect(await session.exited).toBe(0)
  })
})

describe('the HTTP fixture', () => {
  let url: URL
  let stdout: string[]
  const headers = { Authorization: 'Bearer s3cret' }

  beforeAll(async () => {
    ;({ url, lines: stdout } = await httpFixture(['--header-token', 's3cret']))
  })

  const connect = async () => {
    const client = new Client({ name: 'fixtures-test', version: '1.0.0' })
    clients.push(client)
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }))
    return client
  }

  const post = (body: object, extra: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra }, body: JSON.stringify(body) })

  it('answers 401 without the bearer token, or with another one', async () => {
    const missing = await post(INITIALIZE)
    expect(missing.status).toBe(401)
    expect(await missing.json()).toMatchObject({ jsonrpc: '2.0', error: { message: 'Unauthorized' } })
    expect((await post(INITIALIZE, { authorization: 'Bearer nope' })).status).toBe(401)
    expect((await post(INITIALIZE, headers)).status).toBe(200)
  })

  it('answers 404 to an unknown session and 400 to a first request that is not initialize', async () => {
    expect((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...headers, 'mcp-session-id': 'no-such-session' })).status).toBe(404)
    expect((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers)).status).toBe(400)
  })

  it('serves the tools, the resource and the prompt to the SDK client', async () => {
    const client = await connect()
    expect(client.getServerVersion()).toEqual({ name: 'fixture', version: '1.0.0' })
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(TOOLS)
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over http' } }))).toBe('over http')
    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 })
    expect(await client.callTool({ name: 'fail', arguments: {} })).toMatchObject({ isError: true, content: [{ type: 'text', text: 'something went wrong' }] })
    expect((await client.readResource({ uri: 'notes://readme' })).contents[0]).toMatchObject({ text: 'Fixture readme' })
    expect((await client.getPrompt({ name: 'greet', arguments: { name: 'Bob' } })).messages[0].content).toEqual({ type: 'text', text: 'Hello, Bob!' })
    expect(await client.callTool({ name: 'garbage', arguments: {} })).toMatchObject({ isError: true, content: [{ text: 'garbage is only available over stdio' }] })
  })

  it('change_tools reaches the client on its standalone stream', async () => {
    const client = await connect()
    let changed = 0
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1
    })
    await client.listTools()
    expect(textOf(await client.callTool({ name: 'change_tools', arguments: {} }))).toBe('ok')
    await waitFor(() => changed === 1, 'the list_changed notification')
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('added_later')
  })

  it('bad_result and bad_structured answer the right id with the invalid result', async () => {
    const init = await post(INITIALIZE, headers)
    const session = init.headers.get('mcp-session-id')!
    expect(session).toMatch(/^[0-9a-f-]{36}$/)
    await init.text()
    const inSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }
    expect((await post(INITIALIZED, inSession)).status).toBe(202)
    const bad = await (await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'bad_result', arguments: {} } }, inSession)).text()
    expect(bad).toContain('data: {"jsonrpc":"2.0","id":7,"result":{"content":"not an array"}}')
    const structured = await (await post({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'bad_structured', arguments: {} } }, inSession)).text()
    expect(structured).toContain('"id":8,"result":{"content":[{"type":"text","text":"{\\"n\\":\\"not a number\\"}"}],"structuredContent":{"n":"not a number"}}')
  })

  it('printed nothing on stdout but the port line', () => {
    expect(stdout).toHaveLength(1)
    expect(stdout[0]).toMatch(/^\{"port":\d+\}$/)
  })
})
