import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKeyService } from '../../../framework/auth/api_keys/api_key_service'
import { DatabaseApiKeyStore } from '../../../framework/auth/api_keys/database_api_key_store'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { httpCall, writeCliEntry, type HttpAnswer } from '../../e2e/support/processes'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

/**
 * `langvel serve` on PostgreSQL (checkpointer, API keys, thread owners) while
 * the database server terminates every connection the process holds, as a
 * failover, a restart or an idle-session killer does. The process must stay
 * up, the runs cut off answer 503 E_SERVICE_UNAVAILABLE, and the pools open
 * new connections for the runs that follow.
 */

const ROOT = join(__dirname, '..', '..', '..')

function urlFor(database: string): string {
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${database}`
  return url.toString()
}

interface Server {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

function serve(env: NodeJS.ProcessEnv, cli: string): Promise<Server> {
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (data) => (out += data))
  child.stderr!.on('data', (data) => (out += data))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start:\n${out}`))
    }, 25_000)
    const onData = () => {
      const match = /ready at (http:\/\/[\d.]+:\d+)/.exec(out)
      if (!match) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve({ child, url: match[1], output: () => out, exited })
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${out}`))
    })
  })
}

/** The server's JSON log lines. */
function logLines(server: Server): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const errorCode = (answer: HttpAnswer): unknown => {
  try {
    return (JSON.parse(answer.text) as { error?: { code?: unknown } }).error?.code
  } catch {
    return undefined
  }
}

describeWithPostgres('langvel serve when PostgreSQL terminates its connections', () => {
  const database = `langvel_failover_${randomBytes(6).toString('hex')}`
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-failover-'))
  let admin: PgPool
  let server: Server
  let apiKey: string

  /** Terminates every backend connected to the test database; resolves with their pids. */
  const terminateAll = async (): Promise<number[]> => {
    // In the select list, so it runs only on the rows the filter kept: the planner may evaluate where-clauses in any order.
    const { rows } = await admin.query<{ pid: number; terminated: boolean }>(
      'select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    )
    const pids = rows.filter((row) => row.terminated).map((row) => row.pid)
    await until(async () => (await admin.query('select 1 from pg_stat_activity where pid = any($1::int[])', [pids])).rows.length === 0, 'the terminated backends to exit')
    return pids
  }

  const echo = () => httpCall(`${server.url}/agents/echo`, { body: { input: { query: 'failover' } } })
  const secureEcho = () => httpCall(`${server.url}/agents/secure/echo-bulk`, { body: { input: { query: 'failover' } }, headers: { 'x-api-key': apiKey } })
  const alive = () => server.child.exitCode === null && server.child.signalCode === null

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
    await admin.query(`create database ${database}`)
    const db = new DatabaseManager({ url: urlFor(database), basePath: scratch, pool: { min: 0, max: 1 } })
    try {
      await new Migrator(db, { directory: join(ROOT, 'database', 'migrations') }).latest()
      const keys = new ApiKeyService(new DatabaseApiKeyStore(() => db.connection()))
      apiKey = (await keys.create('failover', { permissions: ['*'] })).key
      await keys.close()
    } finally {
      await db.close()
    }
    const env: NodeJS.ProcessEnv = { ...process.env }
    for (const key of Object.keys(env)) if (/^(JWT_|AUTH_|RATE_LIMIT_|REDIS_|DATABASE_|STATE_|CHECKPOINT_|SERVER_)/.test(key)) delete env[key]
    server = await serve(
      {
        ...env,
        APP_ENV: 'test',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        NO_COLOR: '1',
        LANGVEL_BASE_PATH: scratch,
        DATABASE_URL: urlFor(database),
        DATABASE_POOL_MAX: '4',
        STATE_CHECKPOINTER: 'postgres',
        AUTH_STORE: 'database',
        RATE_LIMIT_REQUESTS: '1000000',
        JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
      },
      writeCliEntry(scratch, ['serverCommands']),
    )
  }, 60_000)

  afterAll(async () => {
    if (server && alive()) {
      server.child.kill('SIGTERM')
      await server.exited
    }
    await admin.query(`drop database if exists ${database} with (force)`)
    await admin.end()
    rmSync(scratch, { recursive: true, force: true })
  }, 30_000)

  it('stays up under load; runs cut off answer 503 E_SERVICE_UNAVAILABLE and later runs succeed', async () => {
    const answers: Array<HttpAnswer & { sent: number; received: number }> = []
    let loading = true
    // Plain and API-key runs side by side keep both pools busy: the checkpointer's and knex's.
    const workers = Array.from({ length: 12 }, async (_, index) => {
      while (loading && alive()) {
        const sent = performance.now()
        const answer = await (index % 2 === 0 ? echo() : secureEcho()).catch((error: Error) => ({ status: 0, text: error.message }))
        answers.push({ ...answer, sent, received: performance.now() })
      }
    })
    const terminated: number[][] = []
    const terminations: Array<{ from: number; to: number }> = []
    try {
      for (let round = 0; round < 3; round++) {
        const seen = answers.length
        await until(() => answers.length >= seen + 40 || !alive(), 'runs to complete before terminating')
        const from = performance.now()
        terminated.push(await terminateAll())
        terminations.push({ from, to: performance.now() })
      }
      const seen = answers.length
      await until(() => answers.length >= seen + 20 || !alive(), 'runs after the last termination')
    } finally {
      loading = false
      await Promise.all(workers)
    }

    expect({ alive: alive(), output: alive() ? '' : server.output() }).toEqual({ alive: true, output: '' })
    expect(server.output()).not.toContain("Unhandled 'error' event")
    for (const pids of terminated) expect(pids.length).toBeGreaterThan(0)
    // Every termination cut into runs in progress: some were sent before it began and answered after it ended.
    const spanning = terminations.map(({ from, to }) => answers.filter((answer) => answer.sent < from && answer.received > to).length)
    for (const count of spanning) expect(count).toBeGreaterThan(0)
    // Those runs either finished on a new connection or were cut off, and a cut-off run is a 503 E_SERVICE_UNAVAILABLE, never another error.
    const failed = answers.filter((answer) => answer.status !== 200).map((answer) => ({ status: answer.status, code: errorCode(answer) }))
    expect(failed).toEqual(failed.map(() => ({ status: 503, code: 'E_SERVICE_UNAVAILABLE' })))

    // Every dropped connection is reported, once, by the pool it belonged to.
    const losses = logLines(server).filter((line) => line.message === 'database connection lost; the pool replaces it')
    expect(new Set(losses.map((line) => line.pool))).toEqual(new Set(['checkpointer', 'database']))
    expect(losses.length).toBeLessThanOrEqual(terminated.flat().length)

    for (let index = 0; index < 5; index++) {
      expect((await echo()).status).toBe(200)
      expect((await secureEcho()).status).toBe(200)
    }
  }, 90_000)

  it('answers the next runs after its idle connections were terminated', async () => {
    // Both pools hold idle connections after these.
    expect((await echo()).status).toBe(200)
    expect((await secureEcho()).status).toBe(200)
    expect((await terminateAll()).length).toBeGreaterThan(0)

    const after = [await secureEcho(), await echo()]
    expect(after.map((answer) => answer.status)).toEqual([200, 200])
    expect(JSON.parse(after[0]!.text).output.response).toBe('Processed: failover')
    expect(alive()).toBe(true)
  }, 30_000)
})
