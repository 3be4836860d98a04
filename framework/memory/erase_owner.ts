import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { MemoryManager } from './memory_manager'

/** Where a route's threads are checkpointed: the saver and the prefix of its thread ids. */
export interface ThreadPlace {
  saver: BaseCheckpointSaver
  /** Checkpoint thread ids are `<namespace>:<thread id>` (the agent's threadNamespace, by default its route path). */
  namespace: string
}

/** Who owns which threads (the auth service's ThreadOwnership). */
export interface ThreadOwnerRecords {
  threadsOf(owner: string): Promise<string[]>
  release(threadId: string, owner: string): Promise<boolean>
}

export interface EraseOptions {
  memory: MemoryManager
  /** Ownership records; without them (no auth) no thread is known to be the owner's. */
  threads?: ThreadOwnerRecords
  /** Every place a thread of the owner may be checkpointed (one per agent route). */
  places: ThreadPlace[]
}

/** What an erasure removed. */
export interface Erasure {
  owner: string
  memories: number
  threads: string[]
  checkpoints: number
  ownershipRecords: number
}

/**
 * Removes everything kept for an owner: the checkpoints of the threads it
 * owns (through each saver's deleteThread), then their ownership records,
 * then its memories. Checkpoints go first: if that fails, the records still
 * name the threads and running the erasure again finishes it.
 *
 * @example
 * const erased = await eraseOwner('user:42', { memory: app.make('memory'), threads: app.make('auth').threads, places })
 */
export async function eraseOwner(owner: string, options: EraseOptions): Promise<Erasure> {
  const threads = (await options.threads?.threadsOf(owner)) ?? []
  const places = uniquePlaces(options.places)
  let checkpoints = 0
  for (const threadId of threads) {
    for (const place of places) {
      const key = `${place.namespace}:${threadId}`
      const found = await countCheckpoints(place.saver, key)
      if (found === 0) continue
      await place.saver.deleteThread(key)
      checkpoints += found
    }
  }
  let ownershipRecords = 0
  for (const threadId of threads) if (await options.threads?.release(threadId, owner)) ownershipRecords++
  const memories = await options.memory.forOwner(owner).clear()
  return { owner, memories, threads, checkpoints, ownershipRecords }
}

async function countCheckpoints(saver: BaseCheckpointSaver, threadKey: string): Promise<number> {
  let count = 0
  for await (const _tuple of saver.list({ configurable: { thread_id: threadKey } })) count++
  return count
}

function uniquePlaces(places: ThreadPlace[]): ThreadPlace[] {
  const seen = new Map<BaseCheckpointSaver, Set<string>>()
  return places.filter((place) => {
    const namespaces = seen.get(place.saver) ?? new Set<string>()
    seen.set(place.saver, namespaces)
    if (namespaces.has(place.namespace)) return false
    namespaces.add(place.namespace)
    return true
  })
}
