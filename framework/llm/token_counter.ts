import type { BaseMessage } from '@langchain/core/messages'
import type { Tiktoken } from 'js-tiktoken/lite'

/** Per-message framing tokens of chat formats (role, separators), as OpenAI documents for its models. */
const TOKENS_PER_MESSAGE = 4
const TOKENS_PER_REPLY = 2

let encoder: Tiktoken | undefined

/**
 * The cl100k_base tokenizer, from the rank file shipped inside js-tiktoken.
 * Loaded on first use, since the rank file is large and many processes never
 * count tokens; never through LangChain's getNumTokens(), which fetches rank
 * files from the network and stalls offline.
 */
function tokenizer(): Tiktoken {
  if (!encoder) {
    const { Tiktoken: Encoder } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite')
    const ranks = require('js-tiktoken/ranks/cl100k_base') as { default?: unknown }
    encoder = new Encoder((ranks.default ?? ranks) as never)
  }
  return encoder
}

/**
 * Counts tokens locally, for providers (and the fake driver) that report no
 * usage. Exact for OpenAI's cl100k models, an estimate for others.
 *
 * @example
 * countTokens('hello world') // 2
 * countMessageTokens([new HumanMessage('hi')]) // 1 + framing
 */
export function countTokens(text: string): number {
  return text ? tokenizer().encode(text).length : 0
}

function messageText(message: BaseMessage): string {
  const calls = (message as { tool_calls?: Array<{ name: string; args: unknown }> }).tool_calls ?? []
  return [message.text, ...calls.map((call) => `${call.name}${JSON.stringify(call.args)}`)].join('')
}

/**
 * What one message adds to a conversation's count: its text, its tool calls
 * and its framing. A conversation counts the sum plus REPLY_PRIMING_TOKENS,
 * so a part of it can be priced without counting it again.
 */
export function messageTokens(message: BaseMessage): number {
  return TOKENS_PER_MESSAGE + countTokens(messageText(message))
}

/** Tokens a non-empty conversation counts once, for the reply the model is primed to write. */
export const REPLY_PRIMING_TOKENS = TOKENS_PER_REPLY

/** Prompt tokens of a conversation, framing included. */
export function countMessageTokens(messages: readonly BaseMessage[]): number {
  if (messages.length === 0) return 0
  return messages.reduce((sum, message) => sum + messageTokens(message), TOKENS_PER_REPLY)
}

/** Completion tokens of an answer: its text plus the tool calls it made. */
export function countCompletionTokens(message: BaseMessage): number {
  return countTokens(messageText(message))
}
