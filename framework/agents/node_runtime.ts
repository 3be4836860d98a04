import { Command, interrupt, isCommand, type LangGraphRunnableConfig } from '@langchain/langgraph'
import { E_BRANCH_UNKNOWN, E_LOOP_LIMIT, E_RUNTIME } from '../errors'
import { recordNodeDuration } from '../observability'
import { nodeContext } from './node_context'
import type { RouterLogic } from './graph_plan'
import type { InterruptOptions } from './graph_builder'
import { RESERVED_PREFIX, type AnyStateDefinition } from './state'

/** Loop counters, `{ [loopId]: runs of the body since the loop was entered }`. Checkpointed, so interrupts inside loops resume with the right count. */
export const LOOPS_KEY = `${RESERVED_PREFIX}_loops`
/** The last resume value, visible to the step right after an interrupt (an ephemeral channel). */
export const RESUME_KEY = `${RESERVED_PREFIX}_resume`

type Raw = Record<string, any>
type AnyFn = (...args: any[]) => any
type GraphNodeFn = (state: Raw, config: LangGraphRunnableConfig) => Promise<unknown>

export interface RuntimeScope {
  state: AnyStateDefinition
  /** `this` for user functions. */
  owner: object | undefined
  /** Whether the graph has reserved channels to hide from user code. */
  reserved: boolean
  /** The `agent` label of node durations in the metrics. */
  label: string
}

/** The state as user code sees it: without Langvel's reserved keys. */
export function userView(raw: Raw, scope: RuntimeScope): Raw {
  if (!scope.reserved) return raw
  const view: Raw = {}
  for (const key of Object.keys(raw)) if (!key.startsWith(RESERVED_PREFIX)) view[key] = raw[key]
  return view
}

/** Runs a node's work and records its duration in the node metrics, however it ends. */
export async function timedNode<T>(scope: RuntimeScope, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await work()
  } finally {
    recordNodeDuration(scope.label, name, (performance.now() - started) / 1000)
  }
}

/** A user node: called with `this` = the agent, its result reduced to what actually changed; its duration goes to the metrics. */
export function userNode(name: string, fn: AnyFn, scope: RuntimeScope): GraphNodeFn {
  return async (raw, config) => {
    const state = userView(raw, scope)
    const started = performance.now()
    try {
      const result = await fn.call(scope.owner, state, nodeContext(config, name, scope.reserved ? raw[RESUME_KEY] : undefined))
      return normalizeResult(name, result, state, scope.state, false)
    } finally {
      recordNodeDuration(scope.label, name, (performance.now() - started) / 1000)
    }
  }
}

export function interruptNode(name: string, options: InterruptOptions<any>, scope: RuntimeScope): GraphNodeFn {
  return async (raw, config) => {
    const payload = typeof options.payload === 'function'
      ? await (options.payload as AnyFn).call(scope.owner, userView(raw, scope), nodeContext(config, name))
      : (options.payload ?? null)
    // On resume LangGraph re-runs this node and interrupt() returns the resume value.
    const value = interrupt(payload)
    return options.resumeInto ? { [options.resumeInto]: value, [RESUME_KEY]: value } : { [RESUME_KEY]: value }
  }
}

export interface SubgraphRuntime {
  graph: { invoke(input: unknown, config: LangGraphRunnableConfig): Promise<unknown> }
  state: AnyStateDefinition
}

/**
 * Runs a compiled subgraph inside a node, with the node's config, so LangGraph
 * namespaces its checkpoints and bubbles its interrupts. The subgraph returns
 * its whole state; only what it changed goes back to the parent, compared by
 * value — re-adding the parent's own list items would double them.
 */
export function subgraphNode(child: SubgraphRuntime, scope: RuntimeScope): GraphNodeFn {
  return async (raw, config) => {
    const state = userView(raw, scope)
    const input: Raw = {}
    for (const key of child.state.keys) if (key in state) input[key] = state[key]
    const output = (await child.graph.invoke(input, config)) as Raw
    const back: Raw = {}
    for (const key of Object.keys(output ?? {})) if (scope.state.has(key)) back[key] = output[key]
    return changedKeys(back, state, scope.state, true)
  }
}

export function junctionNode(): GraphNodeFn {
  return async () => undefined
}

export function loopNode(loopId: string, phase: 'enter' | 'next'): GraphNodeFn {
  if (phase === 'enter') return async () => ({ [LOOPS_KEY]: { [loopId]: 0 } })
  return async (raw) => ({ [LOOPS_KEY]: { [loopId]: (raw[LOOPS_KEY]?.[loopId] ?? 0) + 1 } })
}

/** The function behind a conditional edge: returns a route key of the router's path map. */
export function routerFunction(from: string, logic: Exclude<RouterLogic, { kind: 'tools' | 'team' }>, scope: RuntimeScope): (raw: Raw, config: LangGraphRunnableConfig) => Promise<string> {
  if (logic.kind === 'branch') {
    return async (raw, config) => {
      const state = userView(raw, scope)
      const value = logic.selector ? await logic.selector.call(scope.owner, state, nodeContext(config, from)) : state.next
      const key = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
      if (key === undefined || !logic.keys.includes(key)) {
        throw new E_BRANCH_UNKNOWN(value, logic.keys, { details: { branch: logic.label, value: value ?? null, routes: logic.keys } })
      }
      return key
    }
  }
  const { loopId, phase, mode, cond, maxIterations, onLimit } = logic
  return async (raw, config) => {
    const holds = Boolean(await cond.call(scope.owner, userView(raw, scope), nodeContext(config, from)))
    const again = mode === 'while' ? holds : !holds
    if (!again) return 'exit'
    if (phase === 'enter') return 'body'
    const runs = raw[LOOPS_KEY]?.[loopId] ?? 0
    if (runs < maxIterations) return 'body'
    if (onLimit === 'exit') return 'exit'
    throw new E_LOOP_LIMIT(loopId, maxIterations, { help: 'Raise maxIterations, fix the loop condition, or pass onLimit: "exit".' })
  }
}

function normalizeResult(node: string, result: unknown, state: Raw, definition: AnyStateDefinition, deep: boolean): unknown {
  if (result === undefined || result === null) return undefined
  if (isCommand(result)) {
    const update = result.update
    if (!update || Array.isArray(update) || typeof update !== 'object') return result
    return new Command({ update: changedKeys(update as Raw, state, definition, deep), goto: result.goto as never, graph: result.graph, resume: result.resume })
  }
  if (Array.isArray(result) && result.some(isCommand)) return result
  if (typeof result !== 'object' || Array.isArray(result)) {
    throw new E_RUNTIME(`Node "${node}" returned ${Array.isArray(result) ? 'an array' : typeof result}; return a partial state object, a Command, or nothing`)
  }
  return changedKeys(result as Raw, state, definition, deep)
}

/**
 * Keeps only what a node changed. A node that returns the state it was given
 * (`return state`, `{ ...state, x }`, `[...state.items, item]`) must not
 * re-append the existing items through an append reducer, nor collide with a
 * parallel sibling on keys it merely passed through.
 *
 * For append keys a node's update (`deep` false) is told apart from "the list
 * returned again" by identity: the very array it was given is unchanged, and
 * a longer array that starts with the current items is the current list plus
 * new ones. Anything else is appended as it is, so appending items equal to
 * the current ones (`['tick']` on every loop round) is never dropped. A
 * subgraph's output (`deep` true) is always its whole state, compared by value.
 */
export function changedKeys(update: Raw, state: Raw, definition: AnyStateDefinition, deep: boolean): Raw {
  const same = deep ? deepEqual : Object.is
  const out: Raw = {}
  for (const key of Object.keys(update)) {
    if (!definition.has(key)) continue
    const value = update[key]
    const current = state[key]
    const spec = definition.reducer(key)
    const appends = spec !== undefined && (spec.kind === 'append' || spec.kind === 'messages')
    if (appends && !deep) {
      if (Object.is(value, current)) continue
      if (Array.isArray(value) && Array.isArray(current) && current.length > 0 && value.length > current.length && current.every((item, i) => Object.is(item, value[i]))) {
        out[key] = value.slice(current.length)
        continue
      }
      out[key] = value
      continue
    }
    if (same(value, current)) continue
    if (appends && Array.isArray(value) && Array.isArray(current)) {
      if (current.length > 0 && value.length >= current.length && current.every((item, i) => same(item, value[i]))) {
        if (value.length > current.length) out[key] = value.slice(current.length)
        continue
      }
    } else if (deep && spec?.kind === 'merge' && isPlainObject(value) && isPlainObject(current)) {
      const entries = Object.entries(value).filter(([k, v]) => !deepEqual(v, current[k]))
      if (entries.length > 0) out[key] = Object.fromEntries(entries)
      continue
    }
    out[key] = value
  }
  return out
}

function isPlainObject(value: unknown): value is Raw {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Structural equality for state values (plain data, arrays, dates, class instances such as messages). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false
  if (a instanceof Date) return a.getTime() === (b as Date).getTime()
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((item, i) => deepEqual(item, (b as unknown[])[i]))
  const keysA = Object.keys(a).filter((k) => (a as Raw)[k] !== undefined)
  const keysB = Object.keys(b).filter((k) => (b as Raw)[k] !== undefined)
  return keysA.length === keysB.length && keysA.every((k) => deepEqual((a as Raw)[k], (b as Raw)[k]))
}
