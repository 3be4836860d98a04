import { tmpdir } from 'node:os'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { createLogger } from '../../../framework/logger'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'
import { CaptureTransport } from '../http/support/app'

const LOST = 'database connection lost; the pool replaces it'

async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describeWithPostgres('the knex pool when PostgreSQL terminates a connection', () => {
  let admin: PgPool
  let logs: CaptureTransport
  let db: DatabaseManager

  const pidOf = async (query: { raw(sql: string): Promise<unknown> }) =>
    ((await query.raw('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> }).rows[0]!.pid
  const terminate = async (pid: number) => {
    await admin.query('select pg_terminate_backend($1)', [pid])
    await until(async () => (await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).rows.length === 0, 'the backend to exit')
  }
  const losses = () => logs.records.filter((record) => record.message === LOST)

  beforeAll(() => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
  })
  beforeEach(() => {
    logs = new CaptureTransport()
    db = new DatabaseManager({ url: POSTGRES_URL, basePath: tmpdir(), pool: { min: 0, max: 1 }, logger: createLogger({ level: 'debug', transports: [logs] }) })
  })
  afterEach(() => db.close())
  afterAll(() => admin.end())

  it('fails the transaction whose connection is dropped, reports the loss once, and serves the next query on a new connection', async () => {
    let lost = 0
    const transaction = db.connection().transaction(async (trx) => {
      lost = await pidOf(trx)
      await terminate(lost)
      await until(() => losses().length > 0, 'the loss to be reported')
      await trx.raw('select 1')
    })
    await expect(transaction).rejects.toThrow()

    expect(await pidOf(db.connection())).not.toBe(lost)
    expect(losses()).toEqual([expect.objectContaining({ level: 'warn', pool: 'database', code: '57P01' })])
    // knex's own note on discarding the connection is debugging detail, not a second warning.
    expect(logs.records.filter((record) => record.level === 'warn')).toHaveLength(1)
  })

  it('replaces an idle connection the server dropped on the next query', async () => {
    const idle = await pidOf(db.connection())
    await terminate(idle)
    await until(() => losses().length > 0, 'the loss to be reported')

    const replacement = await pidOf(db.connection())
    expect(replacement).not.toBe(idle)
    // The readiness ping reaches the server, on the replacement connection.
    await db.ping()
    expect((await admin.query('select query from pg_stat_activity where pid = $1', [replacement])).rows).toEqual([{ query: 'select 1' }])
    expect(losses()).toHaveLength(1)
  })
})
