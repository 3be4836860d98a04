import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import knexFactory from 'knex'
import { up as createCheckpointTables } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { up as createAuthTables } from '../../../database/migrations/20260102000000_create_auth_tables'
import { up as createMemoryTables } from '../../../database/migrations/20260103000000_create_memory_tables'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const ROOT = join(__dirname, '..', '..', '..')
const logger = createLogger({ silent: true })
const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })

describeWithPostgres('memory:list and memory:forget', () => {
  const schema = `langvel_memcli_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const url = (() => {
    const parsed = new URL(POSTGRES_URL)
    parsed.searchParams.set('options', `-c search_path=${schema}`)
    return parsed.toString()
  })()
  const env = { APP_ENV: 'test', DATABASE_URL: url, STATE_CHECKPOINTER: 'postgres', MEMORY_STORE: 'postgres', MEMORY_SEMANTIC: 'false', AUTH_STORE: 'database', RATE_LIMIT_DRIVER: 'memory' }
  let root: string
  let admin: PgPool

  const cli = async (args: string[], overrides: Record<string, string> = {}) => {
    const out: string[] = []
    const err: string[] = []
    const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) })
    const output = new Output({ stdout: sink(out), stderr: sink(err), colors: false })
    const code = await runCli(['node', 'langvel', ...args], { output, app: { basePath: root, codePath: root, env: { ...env, ...overrides }, logger, loadDotenv: false } })
    return { code, stdout: out.join(''), stderr: err.join('') }
  }
  const count = async (sql: string, values: unknown[] = []) => Number((await admin.query<{ n: string }>(sql, values)).rows[0].n)

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
    await admin.query(`create schema "${schema}"`)
    const knex = knexFactory({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 1 } })
    try {
      for (const up of [createCheckpointTables, createAuthTables, createMemoryTables]) await up(knex)
    } finally {
      await knex.destroy()
    }
    root = mkdtempSync(join(tmpdir(), 'langvel-memory-cli-'))
    mkdirSync(join(root, 'routes'))
    mkdirSync(join(root, 'config'))
    for (const file of readdirSync(join(ROOT, 'config'))) {
      writeFileSync(join(root, 'config', file), `export { default } from ${JSON.stringify(join(ROOT, 'config', file.replace(/\.ts$/, '')))}\n`)
    }
    const fixture = JSON.stringify(join(__dirname, 'fixtures', 'notes_agent'))
    writeFileSync(
      join(root, 'routes', 'agents.ts'),
      `import { Route } from ${JSON.stringify(join(ROOT, 'framework/routing'))}
import { NotesAgent, ScopedNotesAgent } from ${fixture}
export default function routes() {
  Route.agent('/notes', NotesAgent)
  Route.agent('/scoped', ScopedNotesAgent)
}
`,
    )
  })
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true })
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  it('lists what is kept for a principal (memories and episodes) and erases all of it, leaving every other principal as it was', async () => {
    // Runs as the HTTP controllers make them: the thread is claimed for the caller, then the agent runs with the caller's context.
    const app = await Application.create({ basePath: root, codePath: root, env, providers: defaultProviders(), logger, loadDotenv: false }).boot()
    try {
      const agents = app.make('agents')
      const threads = app.make('auth').threads
      const run = async (path: string, principal: ReturnType<typeof user>, threadId: string, note: string) => {
        await threads.claim(threadId, principal)
        return agents.invoke(path, { note }, { threadId, context: { requestId: randomUUID(), traceId: randomUUID(), principal } })
      }
      await run('/notes', user('alice'), 'thread-a1', 'likes tea')
      await run('/scoped', user('alice'), 'thread-a2', 'lives in Lyon')
      expect((await run('/notes', user('alice'), 'thread-a1', 'has a cat')).output).toMatchObject({ seen: 3 })
      expect((await run('/notes', user('alice-2'), 'thread-b1', 'likes coffee')).output).toMatchObject({ seen: 1 })
    } finally {
      await app.shutdown()
    }
    const checkpointsOf = (keys: string[]) => count(`select count(*) as n from "${schema}".checkpoints where thread_id = any($1)`, [keys])
    const aliceKeys = ['/notes:thread-a1', 'scoped-notes:thread-a2']
    expect(await checkpointsOf(aliceKeys)).toBeGreaterThan(0)
    const bobCheckpoints = await checkpointsOf(['/notes:thread-b1'])
    expect(bobCheckpoints).toBeGreaterThan(0)

    const listed = await cli(['memory:list', 'alice', '--json'])
    expect(listed.stderr).toBe('')
    expect(listed.code).toBe(0)
    const { principal, memories, episodes } = JSON.parse(listed.stdout) as { principal: string; memories: Array<{ key: string; value: unknown }>; episodes: unknown[] }
    expect(principal).toBe('user:alice')
    expect(memories.map((memory) => memory.value).sort()).toEqual(['has a cat', 'likes tea', 'lives in Lyon'])
    // The /scoped agent keeps episodic memory: its finished thread left a summary.
    expect(episodes).toEqual([{ thread_id: 'thread-a2', agent: 'ScopedNotesAgent', route: '/scoped', summary: 'took the note "lives in Lyon"', finished_at: expect.any(String), created_at: expect.any(String) }])
    const table = await cli(['memory:list', 'alice'])
    expect(table.stdout).toContain('took the note "lives in Lyon"')
    expect(await count(`select count(*) as n from "${schema}".store where namespace_path = 'memories:user~3aalice:e'`)).toBe(1)

    const forgotten = await cli(['memory:forget', 'user:alice', '--json'])
    expect(forgotten.code).toBe(0)
    const report = JSON.parse(forgotten.stdout)
    expect(report).toEqual({ principal: 'user:alice', memories: 3, episodes: 1, threads: 2, checkpoints: expect.any(Number), ownership_records: 2, thread_ids: ['thread-a1', 'thread-a2'], kept: [], failures: [], complete: true })
    expect(report.checkpoints).toBeGreaterThan(0)
    expect(forgotten.stderr).toContain('Erased user:alice: 3 memories, 1 episodes, 2 threads')

    // Nothing of alice is left: checkpoints (and their writes and blobs), ownership, store rows.
    for (const table of ['checkpoints', 'checkpoint_writes', 'checkpoint_blobs']) {
      expect(await count(`select count(*) as n from "${schema}".${table} where thread_id = any($1)`, [aliceKeys])).toBe(0)
    }
    expect(await count(`select count(*) as n from "${schema}".auth_thread_owners where owner = 'user:alice'`)).toBe(0)
    expect(await count(`select count(*) as n from "${schema}".store where namespace_path = 'memories:user~3aalice:m'`)).toBe(0)
    expect(await count(`select count(*) as n from "${schema}".store where namespace_path = 'memories:user~3aalice:e'`)).toBe(0)
    // alice-2 (whose id starts with alice's) keeps everything.
    expect(await checkpointsOf(['/notes:thread-b1'])).toBe(bobCheckpoints)
    expect(await count(`select count(*) as n from "${schema}".auth_thread_owners where owner = 'user:alice-2'`)).toBe(1)
    expect(JSON.parse((await cli(['memory:list', 'alice-2', '--json'])).stdout).memories).toEqual([expect.objectContaining({ value: 'likes coffee' })])
    expect(JSON.parse((await cli(['memory:list', 'alice', '--json'])).stdout)).toMatchObject({ memories: [], episodes: [] })
  })

  it('says the memory store lives in the server process with MEMORY_STORE=memory, instead of reporting an empty list', async () => {
    const listed = await cli(['memory:list', 'user:carol'], { MEMORY_STORE: 'memory' })
    expect(listed.code).not.toBe(0)
    expect(listed.stderr).toContain('E_INVALID_CONFIG')
    expect(listed.stderr).toContain('server process')

    const forgotten = await cli(['memory:forget', 'user:carol', '--json'], { MEMORY_STORE: 'memory' })
    expect(forgotten.code).toBe(1)
    expect(JSON.parse(forgotten.stdout)).toMatchObject({ principal: 'user:carol', memories: null, episodes: null, complete: false })
    expect(forgotten.stderr).toContain('were NOT erased: MEMORY_STORE=memory')
  })

  it('keeps the ownership of a thread whose checkpoints it cannot reach, so no other principal can take the thread', async () => {
    const app = await Application.create({ basePath: root, codePath: root, env, providers: defaultProviders(), logger, loadDotenv: false }).boot()
    try {
      await app.make('auth').threads.claim('thread-d1', user('dave'))
    } finally {
      await app.shutdown()
    }
    // The CLI's memory checkpointer is not the server's: the thread's checkpoints (if any) are out of its reach.
    const forgotten = await cli(['memory:forget', 'user:dave', '--json'], { STATE_CHECKPOINTER: 'memory' })
    expect(forgotten.code).toBe(1)
    const report = JSON.parse(forgotten.stdout)
    expect(report).toMatchObject({ threads: 1, ownership_records: 0, complete: false, kept: [{ thread_id: 'thread-d1', reason: expect.stringContaining('server process') }] })
    expect(forgotten.stderr).toContain('Thread thread-d1 kept owned by user:dave')
    expect(await count(`select count(*) as n from "${schema}".auth_thread_owners where thread_id = 'thread-d1' and owner = 'user:dave'`)).toBe(1)
    const again = await Application.create({ basePath: root, codePath: root, env, providers: defaultProviders(), logger, loadDotenv: false }).boot()
    try {
      await expect(again.make('auth').threads.claim('thread-d1', user('eve'))).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })
      expect(await again.make('auth').threads.canAccess('thread-d1', user('eve'))).toBe(false)
    } finally {
      await again.shutdown()
    }
  })

  it('warns when nothing at all was found for the principal', async () => {
    const forgotten = await cli(['memory:forget', 'user:nobody-at-all'])
    expect(forgotten.code).toBe(0)
    expect(forgotten.stderr).toContain('Nothing was found for user:nobody-at-all')
  })

  it('refuses to erase in production without --force', async () => {
    const out: string[] = []
    const sink = new Writable({ write: (chunk, _encoding, done) => (out.push(String(chunk)), done()) })
    const code = await runCli(['node', 'langvel', 'memory:forget', 'alice'], {
      output: new Output({ stdout: sink, stderr: sink, colors: false }),
      app: { basePath: root, codePath: root, env: { ...env, APP_ENV: 'production', JWT_SECRET_KEY: 'x'.repeat(64) }, logger, loadDotenv: false },
    })
    expect(code).not.toBe(0)
    expect(out.join('')).toContain('E_PRODUCTION_GUARD')
  })
})
