import { MemorySaver, emptyCheckpoint, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { ThreadOwnerStore } from '../../../framework/auth/threads/thread_owner_store'
import { ThreadOwnership } from '../../../framework/auth/threads/thread_ownership'
import { eraseOwner, type ThreadPlace } from '../../../framework/memory/erase_owner'
import { MemoryManager } from '../../../framework/memory/memory_manager'

const meta = { source: 'input' as const, step: -1, parents: {} }
const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })

/** Thread owners in a Map, as the database and Redis stores keep them. */
class MapOwnerStore implements ThreadOwnerStore {
  readonly owners = new Map<string, string>()
  async claim(threadId: string, owner: string): Promise<string> {
    if (!this.owners.has(threadId)) this.owners.set(threadId, owner)
    return this.owners.get(threadId) as string
  }
  async owner(threadId: string): Promise<string | undefined> {
    return this.owners.get(threadId)
  }
  async threadsOf(owner: string): Promise<string[]> {
    return [...this.owners].filter(([, o]) => o === owner).map(([t]) => t).sort()
  }
  async release(threadId: string, owner: string): Promise<boolean> {
    if (this.owners.get(threadId) !== owner) return false
    return this.owners.delete(threadId)
  }
}

describe('eraseOwner', () => {
  let store: MapOwnerStore
  let threads: ThreadOwnership
  let saver: MemorySaver
  let memory: MemoryManager

  const checkpoint = async (target: BaseCheckpointSaver, key: string) => {
    await target.put({ configurable: { thread_id: key, checkpoint_ns: '' } }, emptyCheckpoint(), meta, {})
  }
  const countOf = async (key: string) => {
    let n = 0
    for await (const _tuple of saver.list({ configurable: { thread_id: key } })) n++
    return n
  }
  /** Another principal tries the thread as the HTTP controllers would. */
  const bobCanReach = async (threadId: string) => {
    const access = await threads.canAccess(threadId, user('bob'))
    const claim = await threads.claim(threadId, user('bob')).then(
      () => true,
      (error: { code?: string }) => (error.code === 'E_THREAD_NOT_FOUND' ? false : Promise.reject(error)),
    )
    return access || claim
  }

  beforeEach(async () => {
    store = new MapOwnerStore()
    threads = new ThreadOwnership(store)
    saver = new MemorySaver()
    memory = new MemoryManager({ config: { default: 'memory', semantic: false, allowAnonymous: false, recallLimit: 5, episodeMaxChars: 2000 } })
    await threads.claim('t-1', user('alice'))
    await checkpoint(saver, '/notes:t-1')
    await memory.forOwner('user:alice').remember('tea', 'likes tea')
  })

  it('deletes the checkpoints, then releases the ownership record and clears the memories and episodes', async () => {
    await memory.forOwner('user:alice').rememberEpisode({ key: '/notes:t-1', threadId: 't-1', agent: 'NotesAgent', summary: 'took notes' })
    await memory.forOwner('user:bob').rememberEpisode({ threadId: 't-9', agent: 'NotesAgent', summary: 'bob took notes' })
    const erased = await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/notes' }] })
    expect(await memory.forOwner('user:alice').episodes()).toEqual([])
    expect(await memory.forOwner('user:bob').episodes()).toHaveLength(1)
    expect(erased).toEqual({ owner: 'user:alice', memories: 1, episodes: 1, threads: ['t-1'], checkpoints: 1, ownershipRecords: 1, kept: [], failures: [], complete: true })
    expect(await countOf('/notes:t-1')).toBe(0)
    expect(store.owners.has('t-1')).toBe(false)
  })

  it('keeps the record, so no one else reaches the thread, when no place is known and its checkpoints are left', async () => {
    const erased = await eraseOwner('user:alice', { memory, threads, places: [] })
    expect(erased).toMatchObject({ memories: 1, checkpoints: 0, ownershipRecords: 0, complete: false })
    expect(erased.kept).toEqual([{ threadId: 't-1', reason: expect.stringContaining('no checkpointer place') }])
    expect(await countOf('/notes:t-1')).toBe(1)
    expect(await bobCanReach('t-1')).toBe(false)
    expect(await store.owner('t-1')).toBe('user:alice')
  })

  it('keeps the record when a place cannot be reached from here (a memory checkpointer in the server process)', async () => {
    const places: ThreadPlace[] = [
      { saver, namespace: '/notes' },
      { namespace: '/scratch', unreachable: 'lives inside the server process' },
    ]
    await checkpoint(saver, '/scratch:t-1')
    const erased = await eraseOwner('user:alice', { memory, threads, places })
    expect(erased.kept).toEqual([{ threadId: 't-1', reason: expect.stringContaining('/scratch: lives inside the server process') }])
    expect(erased.complete).toBe(false)
    expect(await bobCanReach('t-1')).toBe(false)
  })

  it('keeps the record when the checkpoints are found nowhere (a removed or renamed route may hold them)', async () => {
    const erased = await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/renamed' }] })
    expect(erased.kept).toEqual([{ threadId: 't-1', reason: expect.stringContaining('no checkpoints found') }])
    expect(await countOf('/notes:t-1')).toBe(1)
    expect(await bobCanReach('t-1')).toBe(false)
  })

  it('keeps the record when a deletion fails, reports it, and still erases the rest', async () => {
    await threads.claim('t-2', user('alice'))
    await checkpoint(saver, '/notes:t-2')
    const failing = new MemorySaver()
    await checkpoint(failing, '/other:t-1')
    failing.deleteThread = async () => {
      throw new Error('connection lost')
    }
    const erased = await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/notes' }, { saver: failing, namespace: '/other' }] })
    expect(erased).toMatchObject({ memories: 1, threads: ['t-1', 't-2'], checkpoints: 2, ownershipRecords: 1, complete: false })
    expect(erased.failures).toEqual([{ step: 'checkpoints', threadId: 't-1', message: 'connection lost' }])
    expect(erased.kept.map((k) => k.threadId)).toEqual(['t-1'])
    expect(await bobCanReach('t-1')).toBe(false)
    expect(store.owners.has('t-2')).toBe(false)
  })

  it('returns a partial report instead of throwing when a step fails', async () => {
    store.threadsOf = async () => {
      throw new Error('redis down')
    }
    const erased = await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/notes' }] })
    expect(erased).toMatchObject({ memories: 1, threads: [], complete: false, failures: [{ step: 'threads', message: 'redis down' }] })

    store.threadsOf = MapOwnerStore.prototype.threadsOf
    store.release = async () => {
      throw new Error('write refused')
    }
    await memory.forOwner('user:alice').remember('cat', 'has a cat')
    const again = await eraseOwner('user:alice', { memory, threads, places: [{ saver, namespace: '/notes' }] })
    expect(again).toMatchObject({ memories: 1, checkpoints: 1, ownershipRecords: 0, complete: false, failures: [{ step: 'ownership', threadId: 't-1', message: 'write refused' }] })
  })

  it('leaves the memories alone (memories: null) when no memory manager is given', async () => {
    const erased = await eraseOwner('user:alice', { threads, places: [{ saver, namespace: '/notes' }] })
    expect(erased).toMatchObject({ memories: null, ownershipRecords: 1, complete: false })
    expect(await memory.forOwner('user:alice').list()).toHaveLength(1)
  })
})
