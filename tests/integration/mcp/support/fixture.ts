import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Registry } from 'prom-client'
import Transport from 'winston-transport'
import { createLogger, type Logger } from '../../../../framework/logger'
import { McpManager, mcpMetrics, type McpMetrics } from '../../../../framework/mcp'
import type { McpHttpServerConfig, McpRestartPolicy, McpStderrSettings, McpStdioServerConfig } from '../../../../framework/mcp/types'
import { processAlive } from '../../../../framework/support/processes'
import { waitFor } from '../../http/support/wait_for'

/*
 * What the MCP client tests share: server configs pointing at the real
 * fixture server (tests/fixtures/mcp/server.cjs), a manager whose log lines
 * and metrics the test reads, and the processes behind it found by a tag in
 * their arguments (the fixture ignores arguments it does not know).
 */

export { waitFor }

export const SERVER = resolve(__dirname, '..', '..', '..', 'fixtures', 'mcp', 'server.cjs')
/** The fixture behind test switches: MCP_RECORD_FILE, MCP_GATE_FILE, MCP_START_DELAY_MS (see the file). */
export const WRAPPED_SERVER = resolve(__dirname, 'wrapped_server.cjs')

/** Every tool of the fixture, in the order it declares them. */
export const FIXTURE_TOOLS = ['echo', 'add', 'slow', 'cancelled_count', 'never', 'crash', 'fail', 'huge', 'garbage', 'wrong_id', 'bad_result', 'bad_structured', 'change_tools', 'env', 'cwd']

/** A fresh tag for the arguments of one server's processes. */
export function newTag(label: string): string {
  return `--tag=${label}-${randomUUID()}`
}

const SETTINGS = {
  source: 'test',
  required: false,
  callTimeoutMs: 5000,
  initTimeoutMs: 10_000,
  maxMessageBytes: 1024 * 1024,
  restart: { enabled: true, maxRetries: 3, baseDelayMs: 20, maxDelayMs: 100 },
}

export type StdioOverrides = Omit<Partial<McpStdioServerConfig>, 'restart'> & { restart?: Partial<McpRestartPolicy>; tag?: string; script?: string }

/** The stdio fixture under `name`, tagged so its processes can be found; `script` replaces the fixture (WRAPPED_SERVER). */
export function stdioServer(name: string, overrides: StdioOverrides = {}): McpStdioServerConfig & { tag: string } {
  const { tag = newTag(name), script = SERVER, ...rest } = overrides
  return { ...SETTINGS, name, transport: 'stdio', command: process.execPath, args: [script, tag], env: {}, tag, ...rest, restart: { ...SETTINGS.restart, ...rest.restart } }
}

export function httpServer(name: string, url: string, overrides: Omit<Partial<McpHttpServerConfig>, 'restart'> & { restart?: Partial<McpRestartPolicy> } = {}): McpHttpServerConfig {
  return { ...SETTINGS, name, transport: 'http', url, headers: {}, ...overrides, restart: { ...SETTINGS.restart, ...overrides.restart } }
}

export interface LogRecord {
  level: string
  message: string
  [key: string]: unknown
}

/** A winston transport keeping every record. */
export class LogCapture extends Transport {
  readonly records: LogRecord[] = []

  override log(info: LogRecord, done: () => void): void {
    this.records.push(info)
    done()
  }

  logger(): Logger {
    return createLogger({ level: 'debug', transports: [this] })
  }

  /** The stderr lines of `server` that reached the log. */
  stderr(server: string): string[] {
    return this.records.filter((record) => record.mcp_server === server && record.stream === 'stderr').map((record) => record.message)
  }

  messages(level?: string): string[] {
    return this.records.filter((record) => !level || record.level === level).map((record) => record.message)
  }
}

export interface Harness {
  manager: McpManager
  logs: LogCapture
  registry: Registry
  metrics: McpMetrics
}

const managers = new Set<McpManager>()

/** A manager on the given servers, with its own log capture and metrics registry; closed by closeManagers(). */
export function harness(servers: Array<McpStdioServerConfig | McpHttpServerConfig>, stderr: McpStderrSettings = { maxLineBytes: 4096, linesPerSecond: 1000 }): Harness {
  const logs = new LogCapture()
  const registry = new Registry()
  const metrics = mcpMetrics(registry)
  const manager = new McpManager({ servers, stderr, logger: logs.logger(), metrics })
  managers.add(manager)
  return { manager, logs, registry, metrics }
}

/** Closes every manager harness() made (each ends its children). */
export async function closeManagers(): Promise<void> {
  const open = [...managers]
  managers.clear()
  await Promise.all(open.map((manager) => manager.close()))
}

/** Living processes (zombies excluded) whose arguments hold `tag`. */
export function taggedPids(tag: string): number[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && !match[2].startsWith('Z') && match[3].includes(tag))
    .map((match) => Number(match[1]))
}

/** The one process of a server tagged `tag`; fails when there is not exactly one. */
export function pidOf(tag: string): number {
  const pids = taggedPids(tag)
  if (pids.length !== 1) throw new Error(`expected one process tagged ${tag}, found ${pids.length}`)
  return pids[0]
}

/** Ends whatever a test left running under `tag` (a safety net; the tests themselves check nothing is left). */
export function killTagged(tag: string): void {
  for (const pid of taggedPids(tag)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
}

export { processAlive }

/** A sample of a metric on `registry`: the value of the series with these labels (0 when there is none). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  return values
    .filter((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected))
    .reduce((sum, value) => sum + value.value, 0)
}

/** The JSON-RPC requests a recorded server (MCP_RECORD_FILE) received, by method. */
export function recordedRequests(file: string): Array<{ method: string; params?: { name?: string; arguments?: unknown } }> {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { method?: string; params?: { name?: string; arguments?: unknown } })
    .filter((message): message is { method: string; params?: { name?: string; arguments?: unknown } } => typeof message.method === 'string')
}

/** The HTTP fixture as a child process. */
export interface HttpFixture {
  child: ChildProcess
  port: number
  url: string
  /** SIGKILL, and waits until it has exited. */
  kill(): Promise<void>
}

/** Starts the HTTP fixture (`--http`), on `port` when given, and waits for the port line it prints. */
export async function startHttpFixture(args: string[] = [], port?: number): Promise<HttpFixture> {
  const child = spawn(process.execPath, [SERVER, '--http', ...(port === undefined ? [] : ['--port', String(port)]), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stderr?.resume()
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const lines: string[] = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line))
  await waitFor(() => lines.length > 0 || child.exitCode !== null, 'the port line of the HTTP fixture')
  if (lines.length === 0) throw new Error(`the HTTP fixture exited with code ${child.exitCode}`)
  const listening = (JSON.parse(lines[0]) as { port: number }).port
  return {
    child,
    port: listening,
    url: `http://127.0.0.1:${listening}/mcp`,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** The error `promise` rejects with (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; details?: any }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { code?: string; details?: any }
  }
  throw new Error('expected the promise to reject, it resolved')
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))
