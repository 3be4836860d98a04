import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { processAlive } from '../../framework/support/processes'

const ROOT = join(__dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'langvel')
const storage = mkdtempSync(join(tmpdir(), 'langvel-e2e-mcp-serve-'))
afterAll(() => rmSync(storage, { recursive: true, force: true }))

/** Debug logging on purpose: every log line the command writes must land on stderr, never among the protocol on stdout. */
const ENV: Record<string, string> = {
  ...(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined)) as Record<string, string>),
  LANGVEL_BASE_PATH: storage,
  APP_ENV: 'development',
  LOG_LEVEL: 'debug',
  NO_COLOR: '1',
  STATE_CHECKPOINTER: 'sqlite',
}

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' }
const CALL_ECHO = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { query: 'raw' } } }

const structured = (result: unknown) => (result as CallToolResult).structuredContent as Record<string, any>

interface Raw {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  send(message: unknown): void
  /** The message answering request `id`, once it is on stdout. */
  answer(id: number): Promise<Record<string, any>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function parsed(line: string): Record<string, any> | undefined {
  try {
    return JSON.parse(line) as Record<string, any>
  } catch {
    return undefined
  }
}

/** `langvel mcp:serve` driven by hand, so stdout can be read byte for byte. */
function spawnRaw(): Raw {
  const child = spawn(process.execPath, [BIN, 'mcp:serve'], { cwd: ROOT, env: ENV })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const answer = (id: number) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${id}:\n${stdout}\n${stderr}`)), 30_000)
      const look = () => {
        // Lenient here: what else reached stdout is for expectOnlyProtocol to report.
        const found = stdout
          .split('\n')
          .map((line) => parsed(line))
          .find((message) => message?.id === id)
        if (!found) return
        clearTimeout(timer)
        child.stdout.off('data', look)
        resolve(found)
      }
      child.stdout.on('data', look)
      look()
    })
  return { child, stdout: () => stdout, stderr: () => stderr, send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`), answer, exited }
}

/** Every line of stdout is a JSON-RPC message; nothing else was written there. */
function expectOnlyProtocol(stdout: string): void {
  expect(stdout.endsWith('\n')).toBe(true)
  for (const line of stdout.slice(0, -1).split('\n')) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' })
}

describe('langvel mcp:serve over stdio', () => {
  jest.setTimeout(90_000)

  it("serves routes/agents.ts as tools to the SDK's client, logs only on stderr, and exits when the client closes", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp:serve'], cwd: ROOT, env: ENV, stderr: 'pipe' })
    let stderr = ''
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const client = new Client({ name: 'mcp-serve-e2e', version: '1.0.0' })
    // The client reports a stdout line that is not a JSON-RPC message here (and carries on).
    const protocolErrors: Error[] = []
    client.onerror = (error) => protocolErrors.push(error)
    await client.connect(transport)
    const pid = transport.pid as number

    try {
      const { tools } = await client.listTools()
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'approval', 'secure-echo', 'resume']))
      expect(tools.find((tool) => tool.name === 'echo')?.inputSchema).toMatchObject({ properties: { query: { type: 'string' } }, required: ['query'] })

      const echoed = await client.callTool({ name: 'echo', arguments: { query: 'hi' } })
      expect(structured(echoed)).toMatchObject({ status: 'completed', output: { response: 'Processed: hi' } })
      // The operator runs what HTTP puts behind auth, as with `langvel agent:run`.
      expect(structured(await client.callTool({ name: 'secure-echo', arguments: { query: 'local' } })).output.response).toBe('Processed: local')

      const asked = await client.callTool({ name: 'approval', arguments: { request: 'a new laptop' } })
      expect(structured(asked)).toMatchObject({ status: 'interrupted', interrupts: [{ node: 'approval', value: { request: 'a new laptop' } }] })
      const done = await client.callTool({ name: 'resume', arguments: { ...structured(asked).interrupts[0].resume.arguments, value: { approved: true } } })
      expect(structured(done)).toMatchObject({ status: 'completed', output: { status: 'approved' } })

      const invalid = await client.callTool({ name: 'echo', arguments: {} })
      expect(invalid.isError).toBe(true)
      expect(structured(invalid).error.code).toBe('E_VALIDATION')
    } finally {
      await client.close()
    }
    expect(protocolErrors).toEqual([])
    expect(stderr).toContain('DEBUG')
    expect(processAlive(pid)).toBe(false)
  })

  it('writes nothing but JSON-RPC messages to stdout and exits 0 by itself when stdin closes', async () => {
    const raw = spawnRaw()
    raw.send(INITIALIZE)
    expect((await raw.answer(1)).result.serverInfo).toMatchObject({ name: expect.any(String), version: expect.any(String) })
    raw.send(INITIALIZED)
    raw.send(CALL_ECHO)
    expect((await raw.answer(2)).result.structuredContent.output.response).toBe('Processed: raw')
    raw.child.stdin.end()
    expect(await raw.exited).toEqual({ code: 0, signal: null })
    expectOnlyProtocol(raw.stdout())
    expect(raw.stderr()).toContain('DEBUG')
    expect(raw.stderr()).toContain('MCP stdio session ended reason=stdin closed')
  })

  it('closes on SIGTERM and exits 0', async () => {
    const raw = spawnRaw()
    raw.send(INITIALIZE)
    await raw.answer(1)
    raw.child.kill('SIGTERM')
    expect(await raw.exited).toEqual({ code: 0, signal: null })
    expectOnlyProtocol(raw.stdout())
    expect(raw.stderr()).toContain('MCP stdio session ended reason=SIGTERM')
  })
})
