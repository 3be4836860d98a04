import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { ThreadStore } from '../../../framework/langgraph_api/thread_store'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const MIGRATIONS = join(__dirname, '..', '..', '..', 'database', 'migrations')

/** The same behaviour on every database the store runs on. */
function storeSpec(open: () => Promise<{ store: ThreadStore; close(): Promise<void> }>) {
  let store: ThreadStore
  let close: () => Promise<void>

  beforeAll(async () => {
    ;({ store, close } = await open())
  })
  afterAll(() => close?.())

  const id = () => `t-${randomBytes(6).toString('hex')}`

  it('creates a thread once: a second create of the id changes nothing', async () => {
    const threadId = id()
    expect(await store.create({ threadId, owner: 'user:1', metadata: { a: 1 } })).toBe(true)
    expect(await store.create({ threadId, owner: 'user:2', metadata: { a: 2 } })).toBe(false)
    expect(await store.get(threadId)).toMatchObject({ threadId, owner: 'user:1', metadata: { a: 1 }, status: 'idle', route: null, values: null })
  })

  it('merges metadata, binds once, and deletes', async () => {
    const threadId = id()
    await store.create({ threadId, owner: null, metadata: { a: 1 } })
    expect((await store.mergeMetadata(threadId, { b: 'x' }))?.metadata).toEqual({ a: 1, b: 'x' })
    await store.bind(threadId, 'echo', '/echo')
    await store.bind(threadId, 'other', '/other')
    expect(await store.get(threadId)).toMatchObject({ assistantId: 'echo', route: '/echo' })
    const token = (await store.acquire(threadId, 0)) as string
    expect(await store.delete(threadId, 'not-the-holder')).toBe(false)
    expect(await store.delete(threadId, token)).toBe(true)
    expect(await store.get(threadId)).toBeUndefined()
    expect(await store.delete(threadId, token)).toBe(false)
  })

  it('lets one run take a thread at a time, and takes over one left busy past the stale time', async () => {
    const threadId = id()
    await store.create({ threadId, owner: null, metadata: {} })
    const [one, two] = await Promise.all([store.acquire(threadId, 0), store.acquire(threadId, 0)])
    expect([one, two].filter(Boolean)).toHaveLength(1)
    expect((await store.get(threadId))?.status).toBe('busy')
    const taken = await store.acquire(threadId, Date.now() + 1000)
    expect(taken).toEqual(expect.any(String))
    expect(await store.finish(threadId, taken as string, { status: 'interrupted', values: { x: 1 }, interrupts: { task: [{ id: 'i', value: 2 }] } })).toBe(true)
    expect(await store.get(threadId)).toMatchObject({ status: 'interrupted', values: { x: 1 }, interrupts: { task: [{ id: 'i', value: 2 }] } })
    expect(await store.acquire(threadId, 0)).toEqual(expect.any(String))
  })

  it('records the end of a run only for the run that holds the thread: a stale run taken over changes nothing', async () => {
    const threadId = id()
    await store.create({ threadId, owner: null, metadata: {} })
    const stale = (await store.acquire(threadId, 0)) as string
    const current = (await store.acquire(threadId, Date.now() + 1000)) as string
    expect(current).not.toBe(stale)
    expect(await store.finish(threadId, stale, { status: 'error', error: 'E_TIMEOUT: late' })).toBe(false)
    expect(await store.get(threadId)).toMatchObject({ status: 'busy', error: null })
    expect(await store.delete(threadId, stale)).toBe(false)
    expect(await store.finish(threadId, current, { status: 'idle', values: { y: 2 } })).toBe(true)
    expect(await store.get(threadId)).toMatchObject({ status: 'idle', values: { y: 2 } })
    expect(await store.finish(threadId, current, { status: 'error' })).toBe(false)
  })

  it('searches by owner, status, ids and metadata of every JSON type, with limit and offset', async () => {
    const tag = id()
    const owner = `user:${tag}`
    const ids = [id(), id(), id()]
    await store.create({ threadId: ids[0], owner, metadata: { tag, n: 1, flag: true, nested: { k: 'v' }, gone: null } })
    await store.create({ threadId: ids[1], owner, metadata: { tag, n: 2, flag: false } })
    await store.create({ threadId: ids[2], owner: null, metadata: { tag, n: 3 } })
    const found = async (search: Partial<Parameters<ThreadStore['search']>[0]>) =>
      (await store.search({ limit: 10, offset: 0, ...search })).map((thread) => thread.threadId).sort()
    expect(await found({ metadata: { tag } })).toEqual([...ids].sort())
    expect(await found({ owner, metadata: { tag } })).toEqual([ids[0], ids[1]].sort())
    expect(await found({ owner: null, metadata: { tag } })).toEqual([ids[2]])
    expect(await found({ metadata: { tag, n: 2 } })).toEqual([ids[1]])
    expect(await found({ metadata: { tag, flag: true } })).toEqual([ids[0]])
    expect(await found({ metadata: { tag, flag: false } })).toEqual([ids[1]])
    expect(await found({ metadata: { tag, nested: { k: 'v' } } })).toEqual([ids[0]])
    expect(await found({ metadata: { tag, gone: null } })).toEqual([ids[0]])
    expect(await found({ metadata: { tag, "it's": 'quoted' } })).toEqual([])
    expect(await found({ ids: [ids[0], ids[2]] })).toEqual([ids[0], ids[2]].sort())
    expect(await store.count({ metadata: { tag } })).toBe(3)
    expect(await store.count({ owner, metadata: { tag, flag: false } })).toBe(1)
    await store.acquire(ids[1], 0)
    expect(await found({ metadata: { tag }, status: 'busy' })).toEqual([ids[1]])
    const page = await store.search({ metadata: { tag }, limit: 2, offset: 0, sortBy: 'thread_id', sortOrder: 'asc' })
    const rest = await store.search({ metadata: { tag }, limit: 2, offset: 2, sortBy: 'thread_id', sortOrder: 'asc' })
    expect([...page, ...rest].map((thread) => thread.threadId)).toEqual([...ids].sort())
  })
}

describe('ThreadStore on SQLite', () => {
  storeSpec(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'langvel-threads-'))
    const db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    return {
      store: new ThreadStore(() => db.connection(), db.dialect),
      async close() {
        await db.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  })
})

describeWithPostgres('ThreadStore on PostgreSQL', () => {
  storeSpec(async () => {
    const database = `langvel_threads_${randomBytes(6).toString('hex')}`
    const admin = new DatabaseManager({ url: POSTGRES_URL, basePath: tmpdir(), pool: { min: 0, max: 1 } })
    await admin.connection().raw(`create database ${database}`)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${database}`
    const db = new DatabaseManager({ url: url.toString(), basePath: tmpdir(), pool: { min: 0, max: 4 } })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    return {
      store: new ThreadStore(() => db.connection(), db.dialect),
      async close() {
        await db.close()
        await admin.connection().raw(`drop database if exists ${database}`)
        await admin.close()
      },
    }
  })
})
