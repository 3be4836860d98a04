import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages'
import { E_INVALID_INPUT } from '../errors'
import { REPLY_PRIMING_TOKENS, messageTokens } from './token_counter'
import type { TrimOptions } from './types'

/** Rejects a budget that is not a positive integer or an unknown `startOn`, with E_INVALID_INPUT. */
export function checkTrimOptions(options: TrimOptions): void {
  const maxTokens = (options as Partial<TrimOptions> | undefined)?.maxTokens
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new E_INVALID_INPUT(`trim.maxTokens must be a positive integer, got ${String(maxTokens)}`)
  }
  if (options.startOn !== undefined && options.startOn !== 'human' && options.startOn !== 'any') {
    throw new E_INVALID_INPUT(`trim.startOn must be 'human' or 'any', got ${String(options.startOn)}`)
  }
}

/**
 * For each index c, the earliest index a history starting at c would still
 * need: a tool result needs the AI message that made its call. Pairs are
 * matched by tool_call_id, not by position, so a result that arrives after
 * an interjected message still holds its call in the history.
 */
function earliestNeeded(messages: readonly BaseMessage[]): number[] {
  const callAt = new Map<string, number>()
  const owner = messages.map((message, i) => {
    if (message.type === 'ai') for (const call of (message as AIMessage).tool_calls ?? []) if (call.id) callAt.set(call.id, i)
    return message.type === 'tool' ? (callAt.get((message as ToolMessage).tool_call_id) ?? i) : i
  })
  const needed = new Array<number>(messages.length)
  let min = messages.length
  for (let i = messages.length - 1; i >= 0; i--) {
    min = Math.min(min, owner[i])
    needed[i] = min
  }
  return needed
}

/** Index of the last message matching `test`, or -1. */
function lastIndex(messages: readonly BaseMessage[], test: (message: BaseMessage) => boolean): number {
  for (let i = messages.length - 1; i >= 0; i--) if (test(messages[i])) return i
  return -1
}

/*
 * Why not LangChain's trimMessages (strategy 'last', startOn 'human',
 * includeSystem)? It misses two guarantees we need: when the latest user
 * message alone is over the budget it returns the system message or nothing,
 * so the model would answer a question it never saw; and it keeps only the
 * first system message. It also rebuilds every message (the result never
 * holds the caller's objects) and counts the whole remaining list once per
 * dropped message. Our counter is a sum over messages, so one pass with each
 * message counted once is enough.
 */

/**
 * Working memory: the most recent part of a conversation that fits a token
 * budget, counted with our token counter (`countMessageTokens`). What is kept:
 *
 * - every system message (`keepSystem`, default true), counted in the budget;
 * - a suffix of the rest that starts on a user message (or, with
 *   `startOn: 'any'`, on any message but a tool result), so tool calls and
 *   their results are kept or left out together;
 * - always the current turn — the last user message and everything after it
 *   (tool calls and results of the running tool loop) — even when it alone
 *   exceeds the budget: the model must see the question it answers and the
 *   tool results it is working from. Then the result is over `maxTokens`.
 *
 * A conversation already within the budget comes back whole. The input array
 * and its messages are never changed.
 *
 * @example
 * const recent = trimConversation(state.messages, { maxTokens: 2000 })
 * await this.llm.invoke(state.messages, { trim: { maxTokens: 2000 } })   // the same, applied to what is sent
 */
export function trimConversation(messages: readonly BaseMessage[], options: TrimOptions): BaseMessage[] {
  checkTrimOptions(options)
  const keepSystem = options.keepSystem ?? true
  const kept = (message: BaseMessage) => keepSystem && message.type === 'system'
  const conversational = (message: BaseMessage) => message.type !== 'tool' && message.type !== 'system'

  // The current turn starts at the last user message (without one: at the last message a history may start on).
  let floor = lastIndex(messages, (message) => message.type === 'human')
  if (floor < 0) floor = lastIndex(messages, conversational)
  if (floor <= 0) return [...messages]

  const startsOnHuman = (options.startOn ?? 'human') === 'human' && messages[floor].type === 'human'
  const boundary = (message: BaseMessage) => (startsOnHuman ? message.type === 'human' : conversational(message))
  const needed = earliestNeeded(messages)
  const costs = messages.map(messageTokens)

  // tokensFrom[c]: the history cut at c, i.e. the kept system messages before c plus every message from c on.
  const tokensFrom = new Array<number>(messages.length)
  let total = REPLY_PRIMING_TOKENS + costs.reduce((sum, cost, i) => sum + (kept(messages[i]) ? cost : 0), 0)
  for (let c = messages.length - 1; c >= 0; c--) {
    if (!kept(messages[c])) total += costs[c]
    tokensFrom[c] = total
  }

  let cut = 0
  for (let c = 0; c <= floor; c++) {
    if (c > 0 && !(boundary(messages[c]) && needed[c] >= c)) continue
    cut = c
    if (tokensFrom[c] <= options.maxTokens) break
  }
  return cut === 0 ? [...messages] : messages.filter((message, i) => i >= cut || kept(message))
}
