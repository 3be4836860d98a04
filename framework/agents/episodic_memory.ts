import { isBaseMessage } from '@langchain/core/messages'
import type { RequestContext } from '../contracts/request_context'
import { isException } from '../errors'
import type { Llm } from '../llm/llm'
import { createLogger, type Logger } from '../logger'
import { memoryMetrics } from '../memory/memory_metrics'
import type { MemoryManager } from '../memory/memory_manager'
import type { PrincipalMemory } from '../memory/principal_memory'
import { resolveMemoryManager } from '../memory/memory_runtime'
import { toPlainValues } from './plain_values'

/** What a summarizer receives beside the thread's final state. */
export interface EpisodeContext {
  readonly threadId: string
  /** The agent class name. */
  readonly agent: string
  /** The route path, when the agent runs behind the router. */
  readonly route?: string
  readonly context: RequestContext
  /** Aborted when the summary takes too long (it runs after the run returned): pass it to a model call. */
  readonly signal?: AbortSignal
}

/**
 * Episodic memory of an agent: when one of its runs finishes (not when it
 * stops at an interrupt, not when it fails), a summary of the thread is
 * stored for the run's principal. `true` summarises with the model when the
 * state has `messages`, else stores a compact text of the final state.
 *
 * @example
 * episodicMemory = true
 * episodicMemory = { summarize: (state: Trip) => `Planned a trip to ${state.city} on ${state.date}` }
 */
export type EpisodicMemoryOption =
  | boolean
  | {
      /** The summary of the finished thread, with `this` = the agent; an empty one stores nothing. */
      summarize?(state: Record<string, unknown>, ctx: EpisodeContext): string | Promise<string>
    }

/** A run that finished, as the agent reports it. */
export interface FinishedRun {
  /** The thread id under the agent's namespace: one episode per thread. */
  key: string
  threadId: string
  route?: string
  /** The thread's final state (read only when an episode is to be stored). */
  values: () => Promise<Record<string, unknown>>
  context?: RequestContext
  signal?: AbortSignal
}

/** What the recorder needs of an agent. */
export interface EpisodicAgent {
  readonly name: string
  readonly llm: Llm
}

const SUMMARY_PROMPT = [
  'Summarise this conversation so it can be recalled in a later one.',
  'In a few sentences: what the user wanted, what was found or decided, and any fact about the user worth remembering.',
  'Write only the summary.',
].join(' ')

let fallbackLogger: Logger | undefined

/** Episodes being summarised and stored after their runs returned; beyond the bound, a finishing run waits for room. */
const inFlight = new Set<Promise<void>>()
const MAX_IN_FLIGHT = 256
/** A summary that takes longer is abandoned (logged, counted as failed). */
const SUMMARY_TIMEOUT_MS = 60_000
/** What the summarizing model reads of a long conversation, unless the agent declares its own working memory. */
const SUMMARY_TRIM = { maxTokens: 8000 }

/**
 * Stores the episode of a finished run after the run has returned, so the
 * caller never waits for a summary (a model call). At most MAX_IN_FLIGHT
 * are pending at once; `settleEpisodes()` waits for them (the memory
 * provider calls it at shutdown, tests before reading episodes).
 */
export async function recordEpisodeLater(agent: EpisodicAgent, option: EpisodicMemoryOption | undefined, run: FinishedRun): Promise<void> {
  if (!option) return
  while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight)
  // The run's own signal ends with the run: the summary gets a time limit of its own.
  const task: Promise<void> = recordEpisode(agent, option, { ...run, signal: AbortSignal.timeout(SUMMARY_TIMEOUT_MS) }).finally(() => inFlight.delete(task))
  inFlight.add(task)
}

/** Waits for the episodes still being stored, at most `timeoutMs`; true when none is left. */
export async function settleEpisodes(timeoutMs = 10_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
    timer.unref()
  })
  try {
    while (inFlight.size > 0) {
      const settled = Promise.allSettled([...inFlight]).then(() => true)
      if (!(await Promise.race([settled, deadline.then(() => false)]))) return false
    }
    return true
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Stores the episode of a finished run for its principal. Never throws: the
 * run finished, and a summary or store failure must not turn it into an
 * error, so it is logged as a warning and counted
 * (`langvel_memory_episodes_total{outcome="failed"}`). A run without a
 * principal stores nothing, unless MEMORY_ALLOW_ANONYMOUS.
 */
export async function recordEpisode(agent: EpisodicAgent, option: EpisodicMemoryOption | undefined, run: FinishedRun): Promise<void> {
  if (!option) return
  const label = run.route ?? agent.name
  let manager: MemoryManager | undefined
  try {
    manager = resolveMemoryManager()
    const memory = memoryOf(manager, run.context)
    if (!memory) return
    const values = await run.values()
    const ctx: EpisodeContext = { threadId: run.threadId, agent: agent.name, route: run.route, context: run.context ?? { requestId: '', traceId: '' }, signal: run.signal }
    const summarize = typeof option === 'object' ? option.summarize : undefined
    const summary = summarize ? await summarize.call(agent, values, ctx) : await defaultSummary(agent, values, run.signal)
    if (typeof summary !== 'string' || summary.trim() === '') {
      memoryMetrics().recordEpisode(label, 'skipped')
      return
    }
    await memory.rememberEpisode({ key: run.key, threadId: run.threadId, agent: agent.name, route: run.route, summary })
    memoryMetrics().recordEpisode(label, 'stored')
  } catch (error) {
    memoryMetrics().recordEpisode(label, 'failed')
    const logger = manager?.options.logger ?? (fallbackLogger ??= createLogger({ name: 'memory' }))
    logger.warn('The summary of a finished thread was not stored; the run itself succeeded', {
      agent: agent.name,
      route: run.route,
      threadId: run.threadId,
      error: describe(error),
    })
  }
}

/** The memory of the run's principal; undefined for a run that may not remember (the manager owns that rule). */
function memoryOf(manager: MemoryManager, context: RequestContext | undefined): PrincipalMemory | undefined {
  try {
    return manager.forContext(context)
  } catch (error) {
    if (isException(error) && error.code === 'E_MEMORY_ANONYMOUS') return undefined
    throw error
  }
}

/** The model's summary of the conversation when the state has one, else the final state as compact JSON. */
async function defaultSummary(agent: EpisodicAgent, values: Record<string, unknown>, signal: AbortSignal | undefined): Promise<string> {
  const conversation = chatOf(values.messages)
  if (conversation.length > 0) {
    const trim = (agent as { workingMemory?: unknown }).workingMemory ? {} : { trim: SUMMARY_TRIM }
    return (await agent.llm.invoke(conversation, { system: SUMMARY_PROMPT, ...trim, ...(signal ? { signal } : {}) })).text
  }
  return JSON.stringify(toPlainValues(values))
}

/**
 * The user and assistant turns that carry text. Tool calls and their results
 * are left out: a summary does not need them, and a tool result without its
 * call is refused by some providers.
 */
function chatOf(messages: unknown): Array<{ role: 'user' | 'assistant'; content: string }> {
  if (!Array.isArray(messages)) return []
  const turns: Array<{ role: 'user' | 'assistant'; content: string }> = []
  for (const message of messages) {
    const turn = isBaseMessage(message) ? { type: message.getType(), text: message.text } : plainTurn(message)
    if (!turn || turn.text.trim() === '') continue
    if (turn.type === 'human' || turn.type === 'user') turns.push({ role: 'user', content: turn.text })
    else if (turn.type === 'ai' || turn.type === 'assistant') turns.push({ role: 'assistant', content: turn.text })
  }
  return turns
}

function plainTurn(message: unknown): { type: string; text: string } | undefined {
  const { role, type, content } = (message ?? {}) as { role?: unknown; type?: unknown; content?: unknown }
  const kind = typeof role === 'string' ? role : typeof type === 'string' ? type : undefined
  return kind && typeof content === 'string' ? { type: kind, text: content } : undefined
}

function describe(error: unknown): string {
  if (isException(error)) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
