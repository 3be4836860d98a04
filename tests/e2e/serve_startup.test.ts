import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpCall, writeCliEntry } from './support/processes'

/**
 * What `langvel serve` does before it listens (framework/http/prepare_database.ts)
 * and `serve --watch` (framework/http/watcher.ts), with the server as a child
 * process run through the CLI kernel.
 *
 * The watcher watches the code root's app/, config/ and routes/ (where code
 * is loaded from), not LANGVEL_BASE_PATH. So each test runs on a scratch code
 * root: its own app/ and routes/ (files the test may change), the repository's
 * framework/, config/, database/ and node_modules/ linked in; and on a scratch
 * project root (LANGVEL_BASE_PATH) holding storage/, so every start sees a fresh
 * SQLite database.
 */

const ROOT = join(__dirname, '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-startup-'))
const MIGRATIONS = readdirSync(join(ROOT, 'database', 'migrations'))
  .filter((file) => /\.(ts|js)$/.test(file))
  .map((file) => file.replace(/\.(ts|js)$/, ''))
  .sort()

const EMPTY_ROUTES = 'export default function routes() {}\n'
const HELLO_AGENT = `import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type StateOf } from '../framework/agents'

const HelloState = defineState({ name: z.string(), greeting: z.string().optional() })

export class HelloAgent extends Agent<typeof HelloState> {
  state = HelloState
  build(graph: GraphBuilder<typeof HelloState>) {
    return graph.then(this.greet)
  }
  greet(state: StateOf<typeof HelloState>) {
    return { greeting: 'hello ' + state.name }
  }
}
`
const HELLO_ROUTES = `import { Route } from '../framework/routing'
import { HelloAgent } from '../app/hello_agent'

export default function routes() {
  Route.agent('/hello', HelloAgent).name('hello')
}
`

interface Project {
  code: string
  base: string
  cli: string
}

let projects = 0

/** A scratch code root and project root, and a CLI entry (the serve commands through the CLI kernel) bound to them. */
function makeProject(): Project {
  const dir = join(scratch, `project-${++projects}`)
  const code = join(dir, 'code')
  const base = join(dir, 'base')
  for (const folder of [join(code, 'app'), join(code, 'routes'), base]) mkdirSync(folder, { recursive: true })
  for (const shared of ['framework', 'config', 'database', 'node_modules', 'package.json']) symlinkSync(join(ROOT, shared), join(code, shared))
  writeFileSync(join(code, 'routes', 'agents.ts'), EMPTY_ROUTES)
  writeFileSync(join(code, 'app', 'notes.ts'), 'export const notes = 1\n')
  const cli = writeCliEntry(dir, ['serverCommands'], { codePath: code })
  return { code, base, cli }
}

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

const children: ChildProcess[] = []

function serve(project: Project, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [project.cli, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', LOG_FORMAT: 'json', NO_COLOR: '1', LANGVEL_BASE_PATH: project.base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (data) => (output += data))
  child.stderr!.on('data', (data) => (output += data))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/** The URLs printed by `Server ready at ...`, in order. */
function readyUrls(running: Running): string[] {
  return [...running.output().matchAll(/Server ready at (http:\/\/[\d.]+:\d+)/g)].map((match) => match[1])
}

async function until(condition: () => boolean, what: string, running: Running, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${running.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const get = (url: string) => httpCall(url)

/** Log lines of the JSON logger with this message. */
function logLines(running: Running, message: string): Array<Record<string, unknown>> {
  return running
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function descendants(pid: number): number[] {
  try {
    const direct = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0)
    return direct.flatMap((child) => [...descendants(child), child])
  } catch {
    return []
  }
}

afterAll(() => {
  // The watcher's server is a grandchild: stop it too, or it would outlive the test.
  for (const child of children) {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue
    for (const pid of descendants(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL')
  }
  rmSync(scratch, { recursive: true, force: true })
})

describe('langvel serve start-up', () => {
  it('in development on a fresh SQLite project, runs the pending migrations before listening and logs them', async () => {
    const project = makeProject()
    const first = serve(project, [], { APP_ENV: 'development' })
    await until(() => readyUrls(first).length === 1, 'the server to be ready', first)
    // The log goes to stderr, which may reach us after the ready line on stdout.
    await until(() => first.output().includes('server listening'), 'the log of the start', first)
    expect(logLines(first, `ran ${MIGRATIONS.length} pending migration(s) before serving`)).toEqual([expect.objectContaining({ migrations: MIGRATIONS })])
    expect(first.output()).toContain(`Ran ${MIGRATIONS.length} pending migration(s)`)
    // The migrations ran before the server listened.
    expect(first.output().indexOf('pending migration(s) before serving')).toBeLessThan(first.output().indexOf('server listening'))
    expect(existsSync(join(project.base, 'storage', 'database.sqlite'))).toBe(true)
    expect((await get(`${readyUrls(first)[0]}/health/ready`)).status).toBe(200)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)

    // Nothing is pending the second time: nothing runs, nothing is logged.
    const second = serve(project, [], { APP_ENV: 'development' })
    await until(() => readyUrls(second).length === 1, 'the second server to be ready', second)
    expect(second.output()).not.toContain('pending migration(s)')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })

  it('in production with pending migrations, refuses to start and names them', async () => {
    const project = makeProject()
    const running = serve(project, [], { APP_ENV: 'production', JWT_SECRET_KEY: 'startup-e2e-key-startup-e2e-key-startup-e2e-0123' })
    let code: number | null | undefined
    void running.exited.then((exitCode) => (code = exitCode))
    // A server that started anyway fails here at once instead of running until the test times out.
    await until(() => code !== undefined || readyUrls(running).length > 0, 'the server to exit', running)
    expect(readyUrls(running)).toEqual([])
    expect(code).not.toBe(0)
    const output = running.output()
    expect(output).toContain('E_PRODUCTION_GUARD')
    for (const migration of MIGRATIONS) expect(output).toContain(migration)
    expect(output).toContain('langvel migrate --force')
    expect(readyUrls(running)).toEqual([])
    expect(output).not.toContain('server listening')
  })

  it('with --watch, restarts the server when a file in app/ or routes/ changes, serving the new code', async () => {
    const project = makeProject()
    const running = serve(project, ['--watch'], { APP_ENV: 'development' })
    await until(() => readyUrls(running).length === 1, 'the first server', running)
    const [firstUrl] = readyUrls(running)
    expect(JSON.parse((await get(`${firstUrl}/agents`)).text).agents).toEqual([])

    writeFileSync(join(project.code, 'app', 'hello_agent.ts'), HELLO_AGENT)
    await until(() => readyUrls(running).length === 2, 'a restart after the change in app/', running)
    expect(logLines(running, 'change detected; restarting')).toEqual([expect.objectContaining({ file: 'hello_agent.ts' })])
    // The old server drained before the new one started.
    await expect(get(`${firstUrl}/health/live`)).rejects.toMatchObject({ code: 'ECONNREFUSED' })

    writeFileSync(join(project.code, 'routes', 'agents.ts'), HELLO_ROUTES)
    await until(() => readyUrls(running).length === 3, 'a restart after the change in routes/', running)
    const agents = JSON.parse((await get(`${readyUrls(running)[2]}/agents`)).text).agents
    expect(agents.map((agent: { path: string }) => agent.path)).toEqual(['hello'])

    // The watcher stops its server with it.
    const servers = logLines(running, 'server listening').map((line) => line.pid as number)
    expect(new Set(servers).size).toBe(3)
    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
    expect(servers.filter(isAlive)).toEqual([])
  }, 120_000)
})
