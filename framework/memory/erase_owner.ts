import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { MemoryManager } from './memory_manager'

/** Where a route's threads are checkpointed: the saver and the prefix of its thread ids. */
export interface ThreadPlace {
  /** Absent when the place cannot be reached from here (then `unreachable` says why). */
  saver?: BaseCheckpointSaver
  /** Checkpoint thread ids are `<namespace>:<thread id>` (the agent's threadNamespace, by default its route path). */
  namespace: string
  /**
   * Why the checkpoints of this place cannot be deleted from here (a `memory`
   * checkpointer lives inside the server process). A thread is then kept owned.
   */
  unreachable?: string
}

/** Who owns which threads (the auth service's ThreadOwnership). */
export interface ThreadOwnerRecords {
  threadsOf(owner: string): Promise<string[]>
  release(threadId: string, owner: string): Promise<boolean>
}

export interface EraseOptions {
  /** Where the memories are; omitted when they cannot be reached from here (then `memories` is null). */
  memory?: MemoryManager
  /** Ownership records; without them (no auth) no thread is known to be the owner's. */
  threads?: ThreadOwnerRecords
  /** Every place a thread of the owner may be checkpointed (one per agent route). */
  places: ThreadPlace[]
}

/** A thread whose ownership record was kept: its checkpoints were not confirmed deleted everywhere. */
export interface KeptThread {
  threadId: string
  reason: string
}

/** A step that failed; the erasure went on with the others. */
export interface ErasureFailure {
  step: 'threads' | 'checkpoints' | 'ownership' | 'memories' | 'episodes'
  threadId?: string
  message: string
}

/** What an erasure removed, what it kept and what failed. */
export interface Erasure {
  owner: string
  /** Memories removed; null when they were not erased (unreachable or failed). */
  memories: number | null
  /** Episodes (summaries of finished threads) removed; null when they were not erased. */
  episodes: number | null
  /** Every thread the owner owned when the erasure started. */
  threads: string[]
  checkpoints: number
  ownershipRecords: number
  /** Threads still recorded as the owner's, so no other principal can reach what may be left of them. */
  kept: KeptThread[]
  failures: ErasureFailure[]
  /** True when everything was erased: nothing kept, nothing failed, the memories and episodes reached. */
  complete: boolean
}

/**
 * Removes everything kept for an owner: the checkpoints of the threads it
 * owns (through each saver's deleteThread), then their ownership records,
 * then its memories and its episodes.
 *
 * A thread's ownership record is released only once its checkpoints were
 * found and confirmed gone in every place: an unowned thread is open to
 * anyone, so a record whose checkpoints may be left (no known place, a place
 * unreachable from here, nothing found where it was looked for, as for a
 * thread of a removed or renamed route, a failed deletion) stays with the
 * owner and is reported in `kept`. Each step is caught: a failure is reported
 * in `failures` with what was done; running the erasure again finishes it.
 *
 * @example
 * const erased = await eraseOwner('user:42', { memory: app.make('memory'), threads: app.make('auth').threads, places })
 */
export async function eraseOwner(owner: string, options: EraseOptions): Promise<Erasure> {
  const failures: ErasureFailure[] = []
  const kept: KeptThread[] = []
  let threads: string[] = []
  try {
    threads = (await options.threads?.threadsOf(owner)) ?? []
  } catch (error) {
    failures.push({ step: 'threads', message: messageOf(error) })
  }
  const places = uniquePlaces(options.places)
  let checkpoints = 0
  let ownershipRecords = 0
  for (const threadId of threads) {
    const outcome = await deleteCheckpoints(threadId, places)
    checkpoints += outcome.deleted
    if (outcome.failure) failures.push({ step: 'checkpoints', threadId, message: outcome.failure })
    if (outcome.keep) {
      kept.push({ threadId, reason: outcome.keep })
      continue
    }
    try {
      if (await options.threads?.release(threadId, owner)) ownershipRecords++
    } catch (error) {
      failures.push({ step: 'ownership', threadId, message: messageOf(error) })
    }
  }
  let memories: number | null = null
  let episodes: number | null = null
  if (options.memory) {
    const memory = options.memory.forOwner(owner)
    try {
      memories = await memory.clear()
    } catch (error) {
      failures.push({ step: 'memories', message: messageOf(error) })
    }
    try {
      episodes = await memory.clearEpisodes()
    } catch (error) {
      failures.push({ step: 'episodes', message: messageOf(error) })
    }
  }
  const complete = kept.length === 0 && failures.length === 0 && memories !== null && episodes !== null
  return { owner, memories, episodes, threads, checkpoints, ownershipRecords, kept, failures, complete }
}

interface Deletion {
  deleted: number
  /** Why the thread's record must be kept; undefined when its checkpoints are confirmed gone everywhere. */
  keep?: string
  failure?: string
}

async function deleteCheckpoints(threadId: string, places: ThreadPlace[]): Promise<Deletion> {
  if (places.length === 0) return { deleted: 0, keep: 'no checkpointer place is known (no agent routes): its checkpoints were not looked for' }
  let deleted = 0
  const problems: string[] = []
  let failure: string | undefined
  for (const place of places) {
    if (!place.saver || place.unreachable) {
      problems.push(`${place.namespace}: ${place.unreachable ?? 'unreachable'}`)
      continue
    }
    const key = `${place.namespace}:${threadId}`
    try {
      const found = await countCheckpoints(place.saver, key)
      if (found === 0) continue
      await place.saver.deleteThread(key)
      const left = await countCheckpoints(place.saver, key)
      deleted += found - left
      if (left > 0) problems.push(`${place.namespace}: ${left} checkpoints still there after deletion`)
    } catch (error) {
      failure = messageOf(error)
      problems.push(`${place.namespace}: deletion failed (${failure})`)
    }
  }
  if (problems.length > 0) return { deleted, keep: problems.join('; '), failure }
  if (deleted === 0) return { deleted, keep: 'no checkpoints found in any route: a removed or renamed route, or a checkpointer not listed, may still hold them' }
  return { deleted }
}

async function countCheckpoints(saver: BaseCheckpointSaver, threadKey: string): Promise<number> {
  let count = 0
  for await (const _tuple of saver.list({ configurable: { thread_id: threadKey } })) count++
  return count
}

function uniquePlaces(places: ThreadPlace[]): ThreadPlace[] {
  const seen = new Map<BaseCheckpointSaver | undefined, Set<string>>()
  return places.filter((place) => {
    const namespaces = seen.get(place.saver) ?? new Set<string>()
    seen.set(place.saver, namespaces)
    if (namespaces.has(place.namespace)) return false
    namespaces.add(place.namespace)
    return true
  })
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return (error as { code?: string }).code ? `${(error as { code?: string }).code}: ${error.message}` : error.message
  return String(error)
}
