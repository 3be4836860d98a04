import { randomBytes } from 'node:crypto'
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint'
import knexFactory from 'knex'
import { up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { PostgresCheckpointer } from '../../../framework/checkpointer/postgres_checkpointer'
import { isException } from '../../../framework/errors'
import { unavailableService } from '../../../framework/http/unavailable_service'
import { createLogger } from '../../../framework/logger'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'
import { CaptureTransport } from '../http/support/app'

const meta = { source: 'input' as const, step: -1, parents: {} }
const LOST = 'database connection lost; the pool replaces it'

/** A pg client as pool.connect() hands it out. */
interface CheckedOutClient {
  query(text: string): Promise<{ rows: Array<Record<string, unknown>> }>
  release(error?: Error): void
  once(event: 'end', listener: () => void): unknown
}

async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** How the HTTP layer answers this failure: Langvel's own 503, or a driver error it maps to one. */
function answeredAs(error: unknown): string | undefined {
  if (isException(error)) return error.code
  return unavailableService(error) === 'The database' ? 'E_SERVICE_UNAVAILABLE' : undefined
}

describeWithPostgres('the checkpointer pool when PostgreSQL terminates a connection', () => {
  const schema = `langvel_loss_${randomBytes(6).toString('hex')}`
  // Tags the pool's connections, so the test terminates only its own.
  const applicationName = `langvel_loss_${randomBytes(6).toString('hex')}`
  let admin: PgPool
  let logs: CaptureTransport
  const pools: PgPool[] = []

  const pool = (max: number) => {
    const created = createPgPool(
      { connectionString: POSTGRES_URL, max, application_name: applicationName, options: `-c search_path=${schema}` },
      { logger: createLogger({ level: 'debug', transports: [logs] }), name: 'checkpointer' },
    )
    pools.push(created)
    return created
  }
  const backends = async (condition = 'true') =>
    (await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = $1 and ${condition}`, [applicationName])).rows.map((row) => row.pid)
  const terminate = async (pids: number[]) => {
    await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [pids])
    await until(async () => (await admin.query('select 1 from pg_stat_activity where pid = any($1::int[])', [pids])).rows.length === 0, 'the backends to exit')
  }
  const losses = () => logs.records.filter((record) => record.message === LOST)

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 2 })
    await admin.query(`create schema "${schema}"`)
    const knex = knexFactory({ client: 'pg', connection: { connectionString: POSTGRES_URL }, searchPath: [schema], pool: { min: 0, max: 1 } })
    try {
      await up(knex)
    } finally {
      await knex.destroy()
    }
  })
  beforeEach(() => {
    logs = new CaptureTransport()
  })
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((created) => created.end()))
  })
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  it('keeps a checked-out client from crashing the process, reports the loss once, and opens a new connection', async () => {
    const checkpointer = pool(1)
    const client = (await (checkpointer as unknown as { connect(): Promise<CheckedOutClient> }).connect()) as CheckedOutClient
    await client.query('begin')
    const ended = new Promise<void>((resolve) => client.once('end', resolve))
    // pg emits 'error' on the client for the server's message and again for the closed socket.
    await terminate(await backends())
    await ended

    expect(losses()).toEqual([expect.objectContaining({ level: 'warn', pool: 'checkpointer', code: '57P01' })])
    await expect(client.query('select 1')).rejects.toThrow()
    client.release()
    expect((await checkpointer.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }])
  })

  it('fails a saver transaction cut off mid-statement as an outage (503), and the next one succeeds', async () => {
    const saver = new PostgresCheckpointer(pool(1), { schema })
    const config = { configurable: { thread_id: 'cut-off', checkpoint_ns: '' } }
    expect(await saver.getTuple(config)).toBeUndefined()

    // Holding the table's lock keeps the saver's transaction waiting inside its insert.
    const locker = (await (admin as unknown as { connect(): Promise<CheckedOutClient> }).connect()) as CheckedOutClient
    try {
      await locker.query('begin')
      await locker.query(`lock table "${schema}".checkpoints in access exclusive mode`)
      const put = saver.put(config, emptyCheckpoint(), meta, {})
      const outcome = put.then(
        () => 'stored',
        (error: unknown) => answeredAs(error) ?? error,
      )
      await until(async () => (await backends(`wait_event_type = 'Lock'`)).length === 1, 'the saver to wait for the lock')
      await terminate(await backends())
      expect(await outcome).toBe('E_SERVICE_UNAVAILABLE')
    } finally {
      await locker.query('rollback')
      locker.release()
    }

    const stored = await saver.put(config, emptyCheckpoint(), meta, {})
    expect((await saver.getTuple(config))?.config.configurable?.checkpoint_id).toBe(stored.configurable?.checkpoint_id)
    expect(losses()).toHaveLength(1)
  })
})
