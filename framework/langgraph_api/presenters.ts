import type { StateSnapshot } from '@langchain/langgraph'
import { toPlainValues } from '../agents/plain_values'
import { cleanValues } from '../agents/run_support'
import type { InterruptInfo } from '../contracts/agent_run'
import type { ThreadRecord } from './thread_store'

type Raw = Record<string, unknown>
type Configurable = { configurable?: Raw } | undefined

/** A checkpoint reference in the protocol's shape, under the caller's thread id (not the agent's namespaced one). */
function checkpointOf(config: Configurable, threadId: string) {
  const configurable = config?.configurable ?? {}
  return {
    thread_id: threadId,
    checkpoint_ns: (configurable.checkpoint_ns as string | undefined) ?? '',
    checkpoint_id: (configurable.checkpoint_id as string | undefined) ?? null,
    checkpoint_map: (configurable.checkpoint_map as Raw | undefined) ?? null,
  }
}

/** Checkpoint metadata without Langvel's internal keys, and with the caller's thread id. */
function presentMetadata(metadata: Raw | undefined, threadId: string): Raw | null {
  if (!metadata) return null
  const out: Raw = {}
  for (const [key, value] of Object.entries(metadata)) if (!key.startsWith('__')) out[key] = value
  if ('thread_id' in out) out.thread_id = threadId
  return out
}

function isSnapshot(value: unknown): value is StateSnapshot {
  return typeof value === 'object' && value !== null && Array.isArray((value as { tasks?: unknown }).tasks) && 'values' in value
}

/** Interrupts in the protocol's shape: `{ id, value }`. */
export function presentInterrupts(interrupts: ReadonlyArray<{ id?: string; value?: unknown }> | undefined) {
  return (interrupts ?? []).map((item) => ({ id: item.id, value: toPlainValues(item.value) }))
}

/** State values as clients read them, with `__interrupt__` when the run stopped at interrupts (as LangGraph reports them). */
export function presentValues(values: unknown, interrupts: readonly InterruptInfo[] = []): Raw {
  const out = toPlainValues(cleanValues<Raw>(values)) as Raw
  if (interrupts.length > 0) out.__interrupt__ = presentInterrupts(interrupts)
  return out
}

/**
 * A LangGraph StateSnapshot as the protocol's `ThreadState`: values without
 * Langvel's reserved keys, checkpoints under the caller's thread id, tasks
 * with their interrupts (and the state of a subgraph task when read with it).
 */
export function presentSnapshot(snapshot: StateSnapshot, threadId: string): Raw {
  return {
    values: toPlainValues(cleanValues<Raw>(snapshot.values)),
    next: [...(snapshot.next ?? [])],
    tasks: (snapshot.tasks ?? []).map((task) => ({
      id: task.id,
      name: task.name,
      path: task.path ?? null,
      error: task.error === undefined || task.error === null ? null : task.error instanceof Error ? task.error.message : String(task.error),
      interrupts: presentInterrupts(task.interrupts as Array<{ id?: string; value?: unknown }>),
      checkpoint: task.state && !isSnapshot(task.state) ? checkpointOf(task.state as Configurable, threadId) : null,
      state: isSnapshot(task.state) ? presentSnapshot(task.state, threadId) : null,
      result: (task as { result?: unknown }).result === undefined ? null : toPlainValues((task as { result?: unknown }).result),
    })),
    metadata: presentMetadata(snapshot.metadata as Raw | undefined, threadId),
    created_at: snapshot.createdAt ?? null,
    checkpoint: checkpointOf(snapshot.config as Configurable, threadId),
    parent_checkpoint: snapshot.parentConfig ? checkpointOf(snapshot.parentConfig as Configurable, threadId) : null,
  }
}

/** The state of a thread that has no checkpoint yet. */
export function emptyState(threadId: string): Raw {
  return {
    values: {},
    next: [],
    tasks: [],
    metadata: null,
    created_at: null,
    checkpoint: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: null, checkpoint_map: null },
    parent_checkpoint: null,
  }
}

/** A stored thread as the protocol's `Thread`. */
export function presentThread(thread: ThreadRecord): Raw {
  const updated = new Date(thread.updatedAt).toISOString()
  return {
    thread_id: thread.threadId,
    created_at: new Date(thread.createdAt).toISOString(),
    updated_at: updated,
    state_updated_at: updated,
    metadata: thread.metadata,
    status: thread.status,
    values: thread.values ?? {},
    interrupts: thread.interrupts ?? {},
    config: {},
    error: thread.error,
  }
}
