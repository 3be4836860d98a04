import { randomUUID } from 'node:crypto'
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint'
import knexFactory, { type Knex } from 'knex'
import { up as createCheckpointTables } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { up as createAuthTables } from '../../../database/migrations/20260102000000_create_auth_tables'
import { down as dropMemoryTables, up as createMemoryTables } from '../../../database/migrations/20260103000000_create_memory_tables'
import { DatabaseThreadOwnerStore } from '../../../framework/auth/threads/database_thread_owner_store'
import { ThreadOwnership } from '../../../framework/auth/threads/thread_ownership'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { eraseOwner } from '../../../framework/memory/erase_owner'
import { MemoryManager } from '../../../framework/memory/memory_manager'
import { memoryStoreConformance } from '../../conformance/memory/memory_store_suite'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const meta = { source: 'input' as const, step: -1, parents: {} }
const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })

describeWithPostgres('long-term memory on the postgres driver (PostgresStore)', () => {
  // A schema of our own, selected through the URL's search_path as an application would.
  const schema = `langvel_mem_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const url = (() => {
    const parsed = new URL(POSTGRES_URL)
    parsed.searchParams.set('options', `-c search_path=${schema}`)
    return parsed.toString()
  })()
  let admin: PgPool
  let knex: Knex
  const managers: Array<{ close(): Promise<void> }> = []
  const memoryManager = (options: { semantic: boolean; allowAnonymous?: boolean; embeddings?: MemoryManager['options']['embeddings'] }) => {
    const manager = new MemoryManager({
      config: { default: 'postgres', semantic: options.semantic, allowAnonymous: options.allowAnonymous ?? false, recallLimit: 5, episodeMaxChars: 2000 },
      databaseUrl: url,
      postgresPoolMax: 2,
      embeddings: options.embeddings,
    })
    managers.push(manager)
    return manager
  }
  const tables = async () =>
    (await admin.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema])).rows.map((row) => row.table_name)

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
    await admin.query(`create schema "${schema}"`)
    knex = knexFactory({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 1 } })
  })
  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.close()))
    await knex.destroy()
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  describe('its migration', () => {
    it('fails the first use with E_NOT_MIGRATED before `langvel migrate`, then works once the migration ran, without a restart', async () => {
      const memory = memoryManager({ semantic: false }).forOwner('user:1')
      await expect(memory.list()).rejects.toMatchObject({ code: 'E_NOT_MIGRATED', details: { schema } })
      expect(await tables()).toEqual([])
      await createMemoryTables(knex)
      expect(await tables()).toEqual(['store', 'store_migrations'])
      await memory.remember('k', 'v')
      expect((await memory.get('k'))?.value).toBe('v')
    })

    it('migrates idempotently and rolls back by dropping the tables', async () => {
      await createMemoryTables(knex)
      await createMemoryTables(knex)
      await dropMemoryTables(knex)
      expect(await tables()).toEqual([])
      await createMemoryTables(knex)
      expect(await tables()).toEqual(['store', 'store_migrations'])
    })
  })

  describe('conformance', () => {
    beforeAll(async () => createMemoryTables(knex))
    memoryStoreConformance({
      create: async (options) => memoryManager(options),
      cleanup: async () => {
        await admin.query(`delete from "${schema}".store`)
      },
    })
  })

  describe('memory:forget', () => {
    it('leaves nothing of the principal in the database (memories, episodes, checkpoints, ownership) and keeps every other principal\'s data', async () => {
      await createMemoryTables(knex)
      await createCheckpointTables(knex)
      await createAuthTables(knex)
      const memory = memoryManager({ semantic: false })
      const checkpointers = new CheckpointerManager({ config: { default: 'postgres', sqlitePath: 'unused', redisTtlSeconds: 60 }, basePath: process.cwd(), databaseUrl: url, postgresPoolMax: 2 })
      managers.push(checkpointers)
      const saver = checkpointers.use()
      const threads = new ThreadOwnership(new DatabaseThreadOwnerStore(() => knex))

      // Alice and Bob each own threads on two agent routes; Alice's "t-shared" id is also used (unowned) by nobody else.
      const seed = async (principal: ReturnType<typeof user>, threadIds: string[]) => {
        for (const threadId of threadIds) {
          await threads.claim(threadId, principal)
          for (const namespace of ['/support', '/billing']) {
            const config = await saver.put({ configurable: { thread_id: `${namespace}:${threadId}`, checkpoint_ns: '' } }, emptyCheckpoint(), meta, {})
            await saver.putWrites(config, [['messages', `hello from ${principal.id}`]], 'task-1')
            await saver.put(config, { ...emptyCheckpoint(), channel_values: { note: `state of ${principal.id}` }, channel_versions: { note: 1 } }, meta, { note: 1 })
          }
        }
        await memory.forPrincipal(principal).remember('diet', `${principal.id} is vegetarian`)
        await memory.forPrincipal(principal).remember('city', `${principal.id} lives in Lyon`)
        for (const threadId of threadIds) {
          await memory.forPrincipal(principal).rememberEpisode({ key: `/support:${threadId}`, threadId, agent: 'SupportAgent', route: '/support', summary: `${principal.id} asked about an invoice` })
        }
      }
      await seed(user('alice'), ['a-1', 'a-2'])
      await seed(user('alice-2'), ['b-1'])

      const counts = async (threadIds: string[], owner: string, label: string) => {
        const keys = threadIds.flatMap((id) => ['/support', '/billing'].map((ns) => `${ns}:${id}`))
        const count = async (sql: string, values: unknown[]) => Number((await admin.query<{ n: string }>(sql, values)).rows[0].n)
        return {
          checkpoints: await count(`select count(*) as n from "${schema}".checkpoints where thread_id = any($1)`, [keys]),
          writes: await count(`select count(*) as n from "${schema}".checkpoint_writes where thread_id = any($1)`, [keys]),
          blobs: await count(`select count(*) as n from "${schema}".checkpoint_blobs where thread_id = any($1)`, [keys]),
          owners: await count(`select count(*) as n from "${schema}".auth_thread_owners where owner = $1`, [owner]),
          memories: await count(`select count(*) as n from "${schema}".store where namespace_path = $1`, [`memories:${label}:m`]),
          episodes: await count(`select count(*) as n from "${schema}".store where namespace_path = $1`, [`memories:${label}:e`]),
        }
      }
      const aliceBefore = await counts(['a-1', 'a-2'], 'user:alice', 'user~3aalice')
      expect(aliceBefore).toEqual({ checkpoints: 8, writes: 4, blobs: 4, owners: 2, memories: 2, episodes: 2 })
      const bobBefore = await counts(['b-1'], 'user:alice-2', 'user~3aalice-2')
      expect(bobBefore).toEqual({ checkpoints: 4, writes: 2, blobs: 2, owners: 1, memories: 2, episodes: 1 })

      const erased = await eraseOwner('user:alice', {
        memory,
        threads,
        places: [
          { saver, namespace: '/support' },
          { saver, namespace: '/billing' },
          { saver, namespace: '/support' },
        ],
      })
      expect(erased).toEqual({ owner: 'user:alice', memories: 2, episodes: 2, threads: ['a-1', 'a-2'], checkpoints: 8, ownershipRecords: 2, kept: [], failures: [], complete: true })
      expect(await counts(['a-1', 'a-2'], 'user:alice', 'user~3aalice')).toEqual({ checkpoints: 0, writes: 0, blobs: 0, owners: 0, memories: 0, episodes: 0 })
      expect(await counts(['b-1'], 'user:alice-2', 'user~3aalice-2')).toEqual(bobBefore)
      expect((await memory.forOwner('user:alice-2').list()).map((item) => item.key).sort()).toEqual(['city', 'diet'])
      expect((await memory.forOwner('user:alice-2').episodes()).map((episode) => episode.summary)).toEqual(['alice-2 asked about an invoice'])

      // A second run finds nothing left to erase.
      expect(await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/support' }] })).toEqual({ owner: 'user:alice', memories: 0, episodes: 0, threads: [], checkpoints: 0, ownershipRecords: 0, kept: [], failures: [], complete: true })
    })

    it('searches one owner\'s namespace without reading the rows of an owner whose id it prefixes', async () => {
      await createMemoryTables(knex)
      const memory = memoryManager({ semantic: false })
      await memory.forOwner('user:1').remember('a', 'one')
      for (let i = 0; i < 3; i++) await memory.forOwner('user:10').remember(`b${i}`, `ten ${i}`)
      // The raw search (LIKE on the joined path) is what PrincipalMemory pages through: only user:1's rows.
      const raw = await memory.use().search(memory.forOwner('user:1').namespace, { limit: 100 })
      expect(raw.map((item) => item.key)).toEqual(['a'])
      expect(await memory.forOwner('user:1').clear()).toBe(1)
      expect(await memory.forOwner('user:10').list()).toHaveLength(3)
    })
  })
})
