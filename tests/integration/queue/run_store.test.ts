import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { RunStore } from '../../../framework/queue/run_store'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const MIGRATIONS = join(__dirname, '..', '..', '..', 'database', 'migrations')

/** The same behaviour on every database the store runs on. */
function storeSpec(open: () => Promise<{ store: RunStore; close(): Promise<void> }>) {
  let store: RunStore
  let close: () => Promise<void>

  beforeAll(async () => {
    ;({ store, close } = await open())
  })
  afterAll(() => close?.())

  const key = () => `k-${randomBytes(6).toString('hex')}`

  it('creates a pending run with its input, metadata and webhook', async () => {
    const { run, created } = await store.create({ route: '/echo', threadId: 't-1', principal: { type: 'user', id: '1', permissions: ['runs:create'] }, input: { q: 'hi' }, metadata: { a: 1 }, webhook: 'https://example.test/hook' })
    expect(created).toBe(true)
    expect(await store.get(run.id)).toMatchObject({ id: run.id, threadId: 't-1', route: '/echo', principal: 'user:1', status: 'pending', attempts: 0, input: { q: 'hi' }, metadata: { a: 1 }, webhook: 'https://example.test/hook', startedAt: null })
    expect(await store.get('missing')).toBeUndefined()
  })

  it('keeps the principal exactly as given (type, id, permissions, claims); none for an anonymous run', async () => {
    const principal = { type: 'api_key' as const, id: 'k1', permissions: ['agents:run'], claims: { tenant: 't9' } }
    const { run } = await store.create({ route: '/echo', principal })
    expect(await store.get(run.id)).toMatchObject({ principal: 'api_key:k1', principalData: principal })
    for (const none of [undefined, null, ''] as const) {
      const { run: anonymous } = await store.create({ route: '/echo', principal: none })
      expect(await store.get(anonymous.id)).toMatchObject({ principal: '', principalData: null })
    }
  })

  it('refuses a malformed principal or run id with E_INVALID_INPUT and writes nothing', async () => {
    const before = (await store.list({ limit: 1000 })).length
    const malformed: unknown[] = ['user:1', { type: 'root', id: 'x', permissions: [] }, { type: 'user', id: '', permissions: [] }, { type: 'user', id: 'x' }, { type: 'user', id: 'x', permissions: [1] }, { type: 'user', id: 'x', permissions: [], claims: [] }]
    for (const principal of malformed) {
      await expect(store.create({ route: '/echo', principal: principal as never })).rejects.toMatchObject({ code: 'E_INVALID_INPUT', status: 400 })
    }
    for (const id of ['a:b', '12345', '', 'x'.repeat(129), 'has space']) {
      await expect(store.create({ id, route: '/echo' })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    }
    expect((await store.list({ limit: 1000 })).length).toBe(before)
  })

  it('returns the existing run for a repeated idempotency key of the same principal, even when the creates race', async () => {
    const idempotencyKey = key()
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.create({ route: '/echo', principal: { type: 'user', id: 'race', permissions: [] }, idempotencyKey, input: { i } })))
    expect(results.filter((result) => result.created)).toHaveLength(1)
    expect(new Set(results.map((result) => result.run.id)).size).toBe(1)
    const other = await store.create({ route: '/echo', principal: { type: 'user', id: 'other', permissions: [] }, idempotencyKey })
    expect(other.created).toBe(true)
    expect(other.run.id).not.toBe(results[0].run.id)
  })

  it('lets exactly one of many concurrent starts of a run win', async () => {
    const { run } = await store.create({ route: '/echo' })
    const started = await Promise.all(Array.from({ length: 6 }, () => store.start(run)))
    expect(started.filter(Boolean)).toHaveLength(1)
    expect(await store.get(run.id)).toMatchObject({ status: 'running', attempts: 1 })
  })

  it('lets a new attempt take over a run left running by a dead worker, and only the current attempt records the end', async () => {
    const { run } = await store.create({ route: '/echo' })
    const first = (await store.start(run))!
    const second = (await store.start(first))!
    expect(second.attempts).toBe(2)
    expect(await store.finish(run.id, 1, { status: 'success', output: { stale: true } })).toBe(false)
    expect(await store.finish(run.id, 2, { status: 'success', output: { answer: 42 } })).toBe(true)
    expect(await store.get(run.id)).toMatchObject({ status: 'success', output: { answer: 42 }, attempts: 2 })
    expect(await store.start((await store.get(run.id))!)).toBeUndefined()
  })

  it('releases a running run back to pending, cancels only from the given statuses, and moves an error back to pending for a retry', async () => {
    const { run } = await store.create({ route: '/echo' })
    const running = (await store.start(run))!
    expect(await store.release(run.id, running.attempts)).toBe(true)
    expect((await store.get(run.id))?.status).toBe('pending')
    const again = (await store.start((await store.get(run.id))!))!
    expect(await store.finish(run.id, again.attempts, { status: 'error', errorCode: 'E_TOOL_FAILED', error: 'nope' })).toBe(true)
    expect(await store.get(run.id)).toMatchObject({ status: 'error', errorCode: 'E_TOOL_FAILED', error: 'nope' })
    expect(await store.transition(run.id, ['pending'], 'cancelled')).toBe(false)
    expect(await store.transition(run.id, ['error', 'timeout'], 'pending')).toBe(true)
    expect(await store.get(run.id)).toMatchObject({ status: 'pending', errorCode: null, endedAt: null })
    expect(await store.transition(run.id, ['pending'], 'cancelled')).toBe(true)
    expect((await store.get(run.id))?.endedAt).toEqual(expect.any(Number))
  })

  it('lists a thread\'s runs newest first, filters by status and counts per status', async () => {
    const threadId = `t-${randomBytes(4).toString('hex')}`
    const a = (await store.create({ route: '/echo', threadId })).run
    await new Promise((resolve) => setTimeout(resolve, 5))
    const b = (await store.create({ route: '/echo', threadId })).run
    await store.start(b)
    expect((await store.list({ threadId })).map((run) => run.id)).toEqual([b.id, a.id])
    expect((await store.list({ threadId, status: 'running' })).map((run) => run.id)).toEqual([b.id])
    const counts = await store.countByStatus()
    expect(counts.running).toBeGreaterThanOrEqual(1)
    expect(Object.keys(counts).sort()).toEqual(['cancelled', 'error', 'interrupted', 'pending', 'running', 'success', 'timeout'])
  })
}

describe('RunStore on SQLite', () => {
  storeSpec(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'langvel-runs-'))
    const db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    return {
      store: new RunStore(() => db.connection()),
      async close() {
        await db.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  })

  it('says the table is missing with E_NOT_MIGRATED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'langvel-runs-'))
    const db = new DatabaseManager({ url: `sqlite://${join(dir, 'db.sqlite')}`, basePath: dir })
    try {
      await expect(new RunStore(() => db.connection()).get('x')).rejects.toMatchObject({ code: 'E_NOT_MIGRATED' })
    } finally {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describeWithPostgres('RunStore on PostgreSQL', () => {
  storeSpec(async () => {
    const database = `langvel_runs_${randomBytes(6).toString('hex')}`
    const admin = new DatabaseManager({ url: POSTGRES_URL, basePath: tmpdir(), pool: { min: 0, max: 1 } })
    await admin.connection().raw(`create database ${database}`)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${database}`
    const db = new DatabaseManager({ url: url.toString(), basePath: tmpdir(), pool: { min: 0, max: 8 } })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    return {
      store: new RunStore(() => db.connection()),
      async close() {
        await db.close()
        await admin.connection().raw(`drop database if exists ${database}`)
        await admin.close()
      },
    }
  })
})
