import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSse } from '../integration/http/support/sse'
import { httpCall, writeCliEntry } from './support/processes'

/**
 * The server as real processes: `langvel serve` (single and --workers), and a
 * server over the test graph runner for SIGTERM during a run and streaming
 * over a real socket.
 */

const ROOT = join(__dirname, '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-serve-'))
const TSX = require.resolve('tsx/cjs/api')

// Runs the serve command through the CLI kernel (the same code `bin/langvel serve` runs).
const CLI_ENTRY = writeCliEntry(scratch, ['serverCommands'])

// A server over the in-test GraphRunner (real LangGraph graphs).
const GRAPH_ENTRY = join(scratch, 'graph_server.js')
writeFileSync(
  GRAPH_ENTRY,
  `require(${JSON.stringify(TSX)}).register()
const { Application } = require(${JSON.stringify(join(ROOT, 'framework/foundation/application.ts'))})
const { defaultProviders } = require(${JSON.stringify(join(ROOT, 'framework/foundation/providers.ts'))})
const { startServer } = require(${JSON.stringify(join(ROOT, 'framework/http/start_server.ts'))})
const { GraphRunner } = require(${JSON.stringify(join(ROOT, 'tests/integration/http/support/graph_runner.ts'))})
;(async () => {
  const app = await Application.create({ providers: defaultProviders() }).boot()
  const running = await startServer({ app, runner: new GraphRunner(), host: '127.0.0.1', port: 0, health: { database: 'off' } })
  process.stdout.write('ready ' + running.address.url + '\\n')
  await running.stopped
  process.stdout.write('stopped\\n')
})()
`,
)

// Its own project root (storage/ under a temp folder) and a JWT key: the example routes include `auth`, and outside development a server with auth routes refuses to start without a key.
const BASE = mkdtempSync(join(tmpdir(), 'langvel-serve-'))
afterAll(() => rmSync(BASE, { recursive: true, force: true }))
const ENV = {
  ...process.env,
  APP_ENV: 'test',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  NO_COLOR: '1',
  SHUTDOWN_GRACE_SECONDS: '10',
  LANGVEL_BASE_PATH: BASE,
  JWT_SECRET_KEY: 'serve-e2e-key-serve-e2e-key-serve-e2e-key-0123',
}

interface Started {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

const children: ChildProcess[] = []

function start(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (data) => (stdout += data))
  child.stderr!.on('data', (data) => (stderr += data))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stdout}\n${stderr}`)), 20_000)
    const onData = () => {
      const match = /(?:ready at|ready) (http:\/\/[\d.]+:\d+)/.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve({ child, url: match[1], stdout: () => stdout, stderr: () => stderr, exited })
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${stdout}\n${stderr}`))
    })
  })
}

const get = (url: string) => httpCall(url)
const post = (url: string, body: unknown) => httpCall(url, { body })

/** The child processes of `parent`, with their command names. */
function childProcesses(parent: number): { pid: number; command: string }[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid]) => Boolean(pid))
      .map(([pid, command]) => ({ pid: Number(pid), command: command ?? '' }))
  } catch {
    return []
  }
}

function childPids(parent: number): number[] {
  return childProcesses(parent).map((child) => child.pid)
}

/**
 * The cluster's workers: its node children. tsx starts an esbuild service as a
 * child of the primary too when its transform cache is cold (a fresh clone).
 */
function workerPids(primary: number): number[] {
  return childProcesses(primary)
    .filter((child) => child.command === 'node')
    .map((child) => child.pid)
}

async function until<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, context: () => string = () => '', timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

afterAll(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      for (const pid of childPids(child.pid)) process.kill(pid, 'SIGKILL')
      child.kill('SIGKILL')
    }
  }
  rmSync(scratch, { recursive: true, force: true })
})

describe('langvel serve', () => {
  it('prints its URL when ready, answers health checks, and exits 0 on SIGTERM', async () => {
    const server = await start([CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0'])
    expect((await get(`${server.url}/health/live`)).status).toBe(200)
    expect((await get(`${server.url}/health/ready`)).status).toBe(200)
    expect(Array.isArray(JSON.parse((await get(`${server.url}/agents`)).text).agents)).toBe(true)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stderr()).toContain('shutting down')
  })

  it('refuses a bad --workers value with exit code 1', async () => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'serve', '--workers', 'lots'], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stderr = ''
    child.stderr!.on('data', (data) => (stderr += data))
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1)
    expect(stderr).toContain('E_INVALID_CONFIG')
  })

  it('with --workers 2 serves from both, aggregates their metrics, restarts a dead worker and stops cleanly', async () => {
    const server = await start([CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', '2'])
    const primary = server.child.pid!
    const output = () => `${server.stdout()}\n${server.stderr()}`
    const workers = await until(() => workerPids(primary), (pids) => pids.length === 2, 'two workers', output)
    // Both workers must be listening before the count means anything.
    await until(() => get(`${server.url}/health/ready`).then((res) => res.status), (status) => status === 200, 'readiness', output)

    const requests = 20
    for (let index = 0; index < requests; index++) expect((await get(`${server.url}/health/live`)).status).toBe(200)
    const metrics = (await get(`${server.url}/metrics`)).text
    const served = Number(/langvel_http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)/.exec(metrics)?.[1])
    // Round-robin spreads the requests over both workers; only the aggregate counts them all.
    expect(served).toBe(requests)

    process.kill(workers[0], 'SIGKILL')
    const replaced = await until(() => workerPids(primary), (pids) => pids.length === 2 && !pids.includes(workers[0]), 'a replacement worker', output)
    expect(replaced).toContain(workers[1])
    await until(() => get(`${server.url}/health/live`).then((res) => res.status).catch(() => 0), (status) => status === 200, 'the server to answer', output)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(childPids(primary)).toEqual([])
  })
})

describe('server process over real graphs', () => {
  it('streams over a real socket, finishes an in-flight run after SIGTERM, then exits 0', async () => {
    const server = await start([GRAPH_ENTRY])

    const stream = await post(`${server.url}/agents/echo`, { input: { query: 'e2e' }, stream: true, stream_mode: 'updates' })
    const kinds = parseSse(stream.text).events.map((event) => event.event)
    expect(kinds).toEqual(['metadata', 'updates', 'updates', 'end'])

    const inFlight = post(`${server.url}/agents/slow`, { input: { delayMs: 800 } })
    await new Promise((resolve) => setTimeout(resolve, 300))
    server.child.kill('SIGTERM')
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text).output.response).toBe('done')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toContain('stopped')
  })
})
