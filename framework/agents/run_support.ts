import { Overwrite, type StateSnapshot } from '@langchain/langgraph'
import type { InterruptInfo, StreamEvent, StreamMode, ThreadState } from '../contracts/agent_run'
import { E_ABORTED, E_GRAPH_INVALID, E_STEP_LIMIT, E_VALIDATION, isException } from '../errors'
import { RESERVED_PREFIX } from './state'
import { TEAM_DONE, TEAMS_KEY } from './team_steps'

/*
 * Translation between LangGraph's shapes and Langvel's contracts
 * (contracts/agent_run.ts): outputs without internal keys, interrupts with the
 * node they stopped at, typed errors for what LangGraph reports generically.
 */

const INTERRUPT_KEY = '__interrupt__'
type Raw = Record<string, unknown>

/** A copy of state values without Langvel's reserved keys and LangGraph's `__interrupt__`. */
export function cleanValues<S>(values: unknown): S {
  const out: Raw = {}
  for (const [key, value] of Object.entries((values ?? {}) as Raw)) {
    if (key !== INTERRUPT_KEY && !key.startsWith(RESERVED_PREFIX)) out[key] = value
  }
  return out as S
}

export function rawInterrupts(value: unknown): InterruptInfo[] {
  const list = (value as Raw | undefined)?.[INTERRUPT_KEY]
  if (!Array.isArray(list)) return []
  return list.map((item: { id?: string; value?: unknown }) => ({ id: String(item.id ?? ''), value: item.value }))
}

/**
 * Pending interrupts of a snapshot, each with the node (task) that raised it.
 * An interrupt raised inside a subgraph bubbles up to the subgraph's task; when
 * the snapshot was read with `subgraphs: true` its node is the path to the
 * interrupt itself (`child/ask`).
 */
export function snapshotInterrupts(snapshot: StateSnapshot): InterruptInfo[] {
  const out: InterruptInfo[] = []
  const waiting = waitingTasks(snapshot)
  for (const task of snapshot.tasks ?? []) {
    // A task resumed and finished while a sibling still waits keeps its old interrupt beside its result: it waits for nothing.
    if (!waiting.has(task)) continue
    const inner = isSnapshot(task.state) ? snapshotInterrupts(task.state) : []
    for (const item of task.interrupts ?? []) {
      const id = String(item.id ?? '')
      const deeper = inner.find((info) => info.id === id)?.node
      out.push({ id, value: item.value, node: deeper ? `${task.name}/${deeper}` : task.name })
    }
  }
  return out
}

/**
 * The tasks still to run: not those with a result, nor those `next` leaves
 * out (LangGraph lists there only tasks without writes, so it also leaves out
 * a task that finished returning nothing). Tasks share names (one per tool
 * call), so `next` is counted per name.
 */
function waitingTasks(snapshot: StateSnapshot): Set<StateSnapshot['tasks'][number]> {
  const slots = new Map<string, number>()
  for (const name of snapshot.next ?? []) slots.set(name, (slots.get(name) ?? 0) + 1)
  const waiting = new Set<StateSnapshot['tasks'][number]>()
  for (const task of snapshot.tasks ?? []) {
    if ((task as { result?: unknown }).result !== undefined) continue
    const left = slots.get(task.name) ?? 0
    if (left === 0) continue
    slots.set(task.name, left - 1)
    waiting.add(task)
  }
  return waiting
}

function isSnapshot(value: unknown): value is StateSnapshot {
  return typeof value === 'object' && value !== null && Array.isArray((value as { tasks?: unknown }).tasks)
}

export function hasCheckpoint(snapshot: StateSnapshot): boolean {
  return Boolean(snapshot.config?.configurable?.checkpoint_id)
}

export function toThreadState<S>(snapshot: StateSnapshot, threadId: string): ThreadState<S> {
  return {
    threadId,
    values: cleanValues<S>(snapshot.values),
    next: [...(snapshot.next ?? [])],
    interrupts: snapshotInterrupts(snapshot),
    checkpointId: snapshot.config?.configurable?.checkpoint_id,
    parentCheckpointId: snapshot.parentConfig?.configurable?.checkpoint_id,
    createdAt: snapshot.createdAt,
    metadata: callerMetadata(snapshot.metadata as Record<string, unknown> | undefined, threadId),
  }
}

/** LangGraph copies the configurable thread id (namespaced by the agent) into checkpoint metadata; callers see their own. */
function callerMetadata(metadata: Record<string, unknown> | undefined, threadId: string): Record<string, unknown> | undefined {
  return metadata && 'thread_id' in metadata ? { ...metadata, thread_id: threadId } : metadata
}

/** Adds node names to interrupts reported by a run (LangGraph's run output omits them). */
export function withNodes(interrupts: InterruptInfo[], snapshot: StateSnapshot): InterruptInfo[] {
  const byId = new Map(snapshotInterrupts(snapshot).map((info) => [info.id, info.node]))
  return interrupts.map((info) => ({ ...info, node: byId.get(info.id) ?? info.node }))
}

/**
 * Maps one `[mode, chunk]` of LangGraph's multi-mode stream to Langvel
 * events. Interrupts are collected (reported once, at the end); Langvel's own
 * control nodes and keys are hidden.
 */
export function toStreamEvents(mode: StreamMode, chunk: unknown, wanted: ReadonlySet<StreamMode>, hidden: ReadonlySet<string>, interrupts: InterruptInfo[]): StreamEvent[] {
  if (mode === 'updates') {
    const events: StreamEvent[] = []
    for (const [node, update] of Object.entries((chunk ?? {}) as Raw)) {
      if (node === INTERRUPT_KEY) interrupts.push(...rawInterrupts({ [INTERRUPT_KEY]: update }))
      else if (wanted.has('updates') && !hidden.has(node)) events.push({ event: 'updates', node, data: teamDecision(node, update) ?? unwrapOverwrites(cleanValues(update)) })
    }
    return events
  }
  if (!wanted.has(mode)) return []
  if (mode === 'values') return chunk && typeof chunk === 'object' && INTERRUPT_KEY in chunk ? [] : [{ event: 'values', data: cleanValues(chunk) }]
  if (mode === 'messages') {
    const node = (chunk as [unknown, { langgraph_node?: string }])?.[1]?.langgraph_node
    return [{ event: 'messages', data: chunk, ...(node ? { node } : {}) }]
  }
  return [{ event: mode, data: chunk }]
}

/**
 * LangGraph errors in Langvel's terms. Langvel's own errors (raised in nodes,
 * selectors, loop conditions) pass through untouched, and so do the errors
 * user code throws.
 */
export function translateRunError(error: unknown, signal: AbortSignal | undefined, agent: string, recursionLimit: number): unknown {
  if (isException(error)) return error
  if (signal?.aborted) {
    if (isException(signal.reason)) return signal.reason
    return new E_ABORTED(reasonText(signal.reason), { cause: error })
  }
  const code = (error as { lc_error_code?: string } | null)?.lc_error_code
  const name = (error as { name?: string } | null)?.name
  if (name === 'AbortError') return new E_ABORTED(reasonText(error), { cause: error })
  if (code === 'GRAPH_RECURSION_LIMIT' || name === 'GraphRecursionError') {
    return new E_STEP_LIMIT(agent, recursionLimit, {
      cause: error,
      help: 'The run took more steps than the agent allows: raise `recursionLimit` on the agent, or check for a cycle made with Command({ goto }).',
    })
  }
  if (code === 'MESSAGE_COERCION_FAILURE') {
    // Input validation refuses such messages first; this covers one that reaches LangGraph another way (a resume Command's update).
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    return new E_VALIDATION(`Invalid input: ${message}`, { cause: error, details: [{ path: '', message }] })
  }
  if (code === 'INVALID_CONCURRENT_GRAPH_UPDATE') {
    const message = error instanceof Error ? error.message : String(error)
    return new E_GRAPH_INVALID(agent, [`parallel nodes wrote the same key in one step: ${message}`], {
      cause: error,
      help: 'Declare a reducer for that key (reducers.append / reducers.merge) or write it from one branch only.',
    })
  }
  return error
}

/** A supervisor's turn (it writes its team's record under its own name) is shown as its decision: `{ next: member | 'done' }`. */
function teamDecision(node: string, update: unknown): Raw | undefined {
  const record = (update as Raw | null)?.[TEAMS_KEY] as Record<string, { next?: string }> | undefined
  if (!record || !(node in record)) return undefined
  return { next: record[node].next ?? TEAM_DONE }
}

/** `new Overwrite(v)` in a node's update is shown to stream readers as `v`, not LangGraph's wrapper. */
function unwrapOverwrites(update: Raw): Raw {
  for (const [key, value] of Object.entries(update)) {
    if (Overwrite.isInstance(value)) update[key] = (value as unknown as Raw).__overwrite__
  }
  return update
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  if (typeof reason === 'string') return reason
  return 'the run was cancelled'
}
