import { randomBytes } from 'node:crypto'
import knexFactory, { type Knex } from 'knex'
import { up } from '../../../database/migrations/20260102000000_create_auth_tables'
import { DatabaseThreadOwnerStore } from '../../../framework/auth/threads/database_thread_owner_store'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

/**
 * What a claim sends to the database: every run on an authenticated route
 * claims its thread, so the statements of a claim are paid per run.
 */
function claimStatements(name: string, open: () => Promise<{ knex: Knex; close(): Promise<void> }>) {
  describe(`DatabaseThreadOwnerStore statements (${name})`, () => {
    let knex: Knex
    let close: () => Promise<void>
    let statements: string[]
    let store: DatabaseThreadOwnerStore

    beforeAll(async () => {
      ;({ knex, close } = await open())
      await up(knex)
      knex.on('query', (query: { sql: string }) => statements.push(query.sql.toLowerCase()))
      store = new DatabaseThreadOwnerStore(() => knex)
    })
    beforeEach(() => {
      statements = []
    })
    afterAll(() => close())

    it('claims a thread it already owns with one read and no write', async () => {
      await store.claim('owned', 'user:alice')
      statements = []

      expect(await store.claim('owned', 'user:alice')).toBe('user:alice')
      expect(await store.claim('owned', 'user:bob')).toBe('user:alice')
      expect(statements).toEqual([expect.stringMatching(/^select /), expect.stringMatching(/^select /)])
    })

    it('claims a new thread with one read and one insert', async () => {
      expect(await store.claim('new', 'user:alice')).toBe('user:alice')
      expect(statements).toHaveLength(2)
      expect(statements.filter((sql) => sql.startsWith('insert '))).toHaveLength(1)
      expect(await store.owner('new')).toBe('user:alice')
    })
  })
}

claimStatements('SQLite', async () => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true })
  return { knex, close: () => knex.destroy() }
})

describeWithPostgres('on PostgreSQL', () => {
  const schema = `langvel_owners_${randomBytes(6).toString('hex')}`
  claimStatements('PostgreSQL', async () => {
    const knex = knexFactory({ client: 'pg', connection: { connectionString: POSTGRES_URL }, searchPath: [schema], pool: { min: 0, max: 1 } })
    await knex.raw(`create schema "${schema}"`)
    return {
      knex,
      close: async () => {
        await knex.raw(`drop schema "${schema}" cascade`)
        await knex.destroy()
      },
    }
  })
})
