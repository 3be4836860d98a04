import { MemoryRunStore } from '../../../framework/langgraph_api/memory_run_store'
import type { RunRecord, RunStore } from '../../../framework/langgraph_api/run_store'

/** Every RunStore driver, with room for exactly two finished runs per thread. */
const drivers: Array<[string, () => RunStore]> = [['memory', () => new MemoryRunStore({ maxFinishedPerThread: 2 })]]

let clock = 1_000
function run(threadId: string, runId: string, changes: Partial<RunRecord> = {}): RunRecord {
  clock += 1
  return { runId, threadId, assistantId: 'echo', status: 'pending', metadata: {}, multitaskStrategy: null, cancelReason: null, createdAt: clock, updatedAt: clock, ...changes }
}

describe.each(drivers)('the %s RunStore (conformance)', (_name, create) => {
  let store: RunStore

  beforeEach(() => {
    store = create()
  })

  it('stores a run and reads it back by thread and id, and no other thread sees it', async () => {
    await store.create(run('t1', 'r1', { metadata: { a: 1 } }))
    expect(await store.get('t1', 'r1')).toMatchObject({ runId: 'r1', threadId: 't1', status: 'pending', metadata: { a: 1 } })
    expect(await store.get('t2', 'r1')).toBeUndefined()
    expect(await store.get('t1', 'r2')).toBeUndefined()
  })

  it('lists a thread\'s runs newest first, paged and filtered by status', async () => {
    await store.create(run('t1', 'r1'))
    await store.create(run('t1', 'r2'))
    await store.create(run('t1', 'r3'))
    await store.update('t1', 'r2', { status: 'running' })
    expect((await store.list('t1', { limit: 10, offset: 0 })).map((stored) => stored.runId)).toEqual(['r3', 'r2', 'r1'])
    expect((await store.list('t1', { limit: 1, offset: 1 })).map((stored) => stored.runId)).toEqual(['r2'])
    expect((await store.list('t1', { limit: 10, offset: 0, status: 'running' })).map((stored) => stored.runId)).toEqual(['r2'])
    expect(await store.list('t2', { limit: 10, offset: 0 })).toEqual([])
  })

  it('changes a run\'s status and cancel reason, and answers undefined for an unknown run', async () => {
    await store.create(run('t1', 'r1'))
    const updated = await store.update('t1', 'r1', { status: 'interrupted', cancelReason: 'interrupt' })
    expect(updated).toMatchObject({ status: 'interrupted', cancelReason: 'interrupt' })
    expect(await store.get('t1', 'r1')).toMatchObject({ status: 'interrupted', cancelReason: 'interrupt' })
    expect(await store.update('t1', 'nope', { status: 'success' })).toBeUndefined()
  })

  it('hands out copies: changing what it answered changes nothing stored', async () => {
    await store.create(run('t1', 'r1'))
    const read = (await store.get('t1', 'r1')) as RunRecord
    read.status = 'error'
    expect((await store.get('t1', 'r1'))?.status).toBe('pending')
  })

  it('deletes one run, and every run of a thread', async () => {
    await store.create(run('t1', 'r1'))
    await store.create(run('t1', 'r2'))
    expect(await store.delete('t1', 'r1')).toBe(true)
    expect(await store.delete('t1', 'r1')).toBe(false)
    expect((await store.list('t1', { limit: 10, offset: 0 })).map((stored) => stored.runId)).toEqual(['r2'])
    await store.deleteThread('t1')
    expect(await store.list('t1', { limit: 10, offset: 0 })).toEqual([])
  })

  it('forgets the oldest finished runs beyond its bound, never a pending or running one', async () => {
    await store.create(run('t1', 'active'))
    await store.update('t1', 'active', { status: 'running' })
    for (const id of ['f1', 'f2', 'f3']) {
      await store.create(run('t1', id))
      await store.update('t1', id, { status: 'success' })
    }
    expect((await store.list('t1', { limit: 10, offset: 0 })).map((stored) => stored.runId)).toEqual(['f3', 'f2', 'active'])
  })
})

describe('MemoryRunStore bounds', () => {
  it('forgets a finished run once its time to live has passed, but keeps a running one', async () => {
    const store = new MemoryRunStore({ finishedTtlMs: 50 })
    await store.create(run('t1', 'done', { createdAt: Date.now(), updatedAt: Date.now() }))
    await store.update('t1', 'done', { status: 'success' })
    await store.create(run('t1', 'busy', { createdAt: Date.now(), updatedAt: Date.now() }))
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect((await store.list('t1', { limit: 10, offset: 0 })).map((stored) => stored.runId)).toEqual(['busy'])
  })

  it('keeps the finished runs of at most maxThreads threads, forgetting the least recently used, never a pending or running one', async () => {
    const store = new MemoryRunStore({ maxThreads: 2 })
    await store.create(run('t1', 'r1', { status: 'success', updatedAt: Date.now() }))
    await store.create(run('t2', 'r2', { status: 'success', updatedAt: Date.now() }))
    await store.create(run('t9', 'active'))
    await store.get('t1', 'r1')
    await store.create(run('t3', 'r3', { status: 'success', updatedAt: Date.now() }))
    expect(await store.get('t2', 'r2')).toBeUndefined()
    expect(await store.get('t1', 'r1')).toBeDefined()
    expect(await store.get('t3', 'r3')).toBeDefined()
    for (const thread of ['t4', 't5', 't6']) await store.create(run(thread, `${thread}-r`, { status: 'success', updatedAt: Date.now() }))
    expect(await store.get('t9', 'active')).toMatchObject({ status: 'pending' })
  })

  it('keeps at most maxBytes of finished runs, forgetting the least recently used thread\'s', async () => {
    const store = new MemoryRunStore({ maxBytes: 10_000 })
    const big = { note: 'x'.repeat(4_000) }
    await store.create(run('t1', 'r1', { status: 'success', metadata: big, updatedAt: Date.now() }))
    await store.create(run('t2', 'r2', { status: 'success', metadata: big, updatedAt: Date.now() }))
    await store.create(run('t3', 'running', { status: 'running', metadata: big }))
    await store.create(run('t3', 'r3', { status: 'success', metadata: big, updatedAt: Date.now() }))
    expect(await store.get('t1', 'r1')).toBeUndefined()
    expect(await store.get('t2', 'r2')).toBeDefined()
    expect(await store.get('t3', 'r3')).toBeDefined()
    expect(await store.get('t3', 'running')).toBeDefined()
    expect((await store.list('t3', { limit: 10, offset: 0 })).map((stored) => stored.runId)).toEqual(['r3', 'running'])
  })
})
