import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpCall, writeCliEntry } from './support/processes'

/**
 * MCP servers under `langvel serve` as real processes: each worker starts its
 * own stdio servers with the application, /health reports them, a worker
 * that dies takes its servers with it, and a shutdown leaves no orphan.
 */

const ROOT = join(__dirname, '..', '..')
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'mcp', 'server.cjs')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-mcp-life-'))
const CLI_ENTRY = writeCliEntry(scratch, ['serverCommands'])
// A marker in the servers' command lines, so this test finds its own processes and no one else's.
const MARKER = `mcp-life-${randomUUID()}`

writeFileSync(
  join(scratch, 'mcp.json'),
  JSON.stringify({ mcpServers: { fx: { command: process.execPath, args: [FIXTURE, '--marker', MARKER], required: true, restart: { baseDelayMs: 50 } } } }),
)

const ENV = {
  ...process.env,
  APP_ENV: 'test',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  NO_COLOR: '1',
  SHUTDOWN_GRACE_SECONDS: '10',
  LANGVEL_BASE_PATH: scratch,
  JWT_SECRET_KEY: 'mcp-life-e2e-key-mcp-life-e2e-key-mcp-life-0123',
}

const children: ChildProcess[] = []

/** Pids of this test's MCP server processes. */
function serverPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', MARKER], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

async function until<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, context: () => string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function start(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (data) => (output += data))
  child.stderr!.on('data', (data) => (output += data))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return until(
    () => /ready at (http:\/\/[\d.]+:\d+)/.exec(output)?.[1],
    (url) => Boolean(url),
    'the server to listen',
    () => output,
  ).then((url) => ({ child, url: url as string, output: () => output, exited }))
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const pid of serverPids()) process.kill(pid, 'SIGKILL')
  rmSync(scratch, { recursive: true, force: true })
})

describe('MCP servers under langvel serve', () => {
  it('starts them with the application, reports them in /health, and ends them on SIGTERM', async () => {
    const server = await start([CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0'])
    const pids = await until(serverPids, (found) => found.length === 1, 'the MCP server to start with the application', server.output)

    const health = await until(
      () => httpCall(`${server.url}/health`).then((res) => JSON.parse(res.text) as { checks: Record<string, { status: string; details?: { status: string; tools: number } }> }),
      (body) => body.checks['mcp:fx']?.status === 'ok',
      'the mcp:fx health check',
      server.output,
    )
    expect(health.checks['mcp:fx'].details).toMatchObject({ status: 'ready' })
    expect(health.checks['mcp:fx'].details!.tools).toBeGreaterThan(5)
    expect((await httpCall(`${server.url}/health/ready`)).status).toBe(200)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(serverPids().filter((pid) => pids.includes(pid))).toEqual([])
  })

  it('with --workers 2 each worker has its own server; a killed worker takes its server along, and a shutdown leaves none', async () => {
    const server = await start([CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', '2'])
    const first = await until(serverPids, (found) => found.length === 2, 'one MCP server per worker', server.output)
    const primary = server.child.pid!
    const workers = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter(Boolean)
    const victim = workers.find((pid) => first.some((child) => execFileSync('ps', ['-o', 'ppid=', '-p', String(child)], { encoding: 'utf8' }).trim() === String(pid)))
    expect(victim).toBeDefined()
    const orphaned = first.find((child) => execFileSync('ps', ['-o', 'ppid=', '-p', String(child)], { encoding: 'utf8' }).trim() === String(victim))!

    // SIGKILL gives the worker no chance to shut down: its server sees its stdin close and ends.
    process.kill(victim!, 'SIGKILL')
    await until(serverPids, (found) => !found.includes(orphaned), 'the dead worker’s MCP server to end', server.output)
    // The replacement worker starts its own.
    await until(serverPids, (found) => found.length === 2, 'the replacement worker’s MCP server', server.output)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    await until(serverPids, (found) => found.length === 0, 'no MCP server left', server.output, 10_000)
  })
})
