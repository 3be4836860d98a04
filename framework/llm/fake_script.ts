import type { BaseMessage } from '@langchain/core/messages'
import { fakeDefaultReply } from './fake_default_reply'

/** A tool as the fake model sees it once bound (OpenAI function format, unwrapped). */
export interface FakeToolSpec {
  name: string
  description?: string
  parameters: Record<string, unknown>
}

export interface FakeToolCall {
  name: string
  args?: Record<string, unknown>
  id?: string
}

/** One scripted answer of the fake model. */
export interface FakeReply {
  text?: string
  toolCalls?: FakeToolCall[]
  /** Usage as a provider would report it; without it Langvel counts tokens locally. */
  usage?: { promptTokens: number; completionTokens: number }
  /** Fails the call as a provider does: an HTTP status (429, 500...), optionally with Retry-After. */
  error?: { status?: number; retryAfter?: number | string; message?: string; code?: string }
  /** Answers after this long (cancellable by the call's signal): a slow provider. */
  delayMs?: number
  /** Pause between streamed chunks. */
  chunkDelayMs?: number
}

/** What the fake model received, recorded for assertions. */
export interface FakeCall {
  messages: BaseMessage[]
  tools: FakeToolSpec[]
  /** `auto`, `any`, `none` or the name of a forced tool. */
  toolChoice?: string
  model: string
  temperature: number
  maxTokens: number
  streaming: boolean
}

export type FakeResponder = (call: FakeCall) => FakeReply | string

/**
 * The script of the offline `fake` provider: replies consumed in order, then
 * a fallback that answers deterministically from the conversation (see
 * `fakeDefaultReply`). Every call is recorded in `calls`.
 *
 * @example
 * const script = app.make('llm').fake()
 * script.toolCall('search_docs', { query: 'redis' }).reply('Redis is supported.')
 * await agent.invoke({ messages: ['Does it work with Redis?'] })
 * expect(script.calls[1].messages.at(-1)?.type).toBe('tool')
 */
export class FakeScript {
  readonly calls: FakeCall[] = []
  private readonly queue: Array<FakeReply | FakeResponder> = []
  private fallback: FakeResponder = fakeDefaultReply

  /** Queues replies: strings are text answers. */
  reply(...replies: Array<string | FakeReply>): this {
    for (const reply of replies) this.queue.push(typeof reply === 'string' ? { text: reply } : reply)
    return this
  }

  /** Queues one answer that calls a tool. */
  toolCall(name: string, args: Record<string, unknown> = {}, id?: string): this {
    return this.reply({ toolCalls: [{ name, args, id }] })
  }

  /** Queues a provider failure (`fail(429, { retryAfter: 2 })`, `fail(500)`). */
  fail(status: number, options: { retryAfter?: number | string; message?: string } = {}): this {
    return this.reply({ error: { status, ...options } })
  }

  /** Queues a function computing the next answer from the call. */
  respond(responder: FakeResponder): this {
    this.queue.push(responder)
    return this
  }

  /** What to answer once the queue is empty (default: the deterministic responder). */
  otherwise(responder: FakeResponder): this {
    this.fallback = responder
    return this
  }

  /** Replies not consumed yet. */
  get pending(): number {
    return this.queue.length
  }

  /** Forgets queued replies, recorded calls and a custom fallback. */
  reset(): this {
    this.queue.length = 0
    this.calls.length = 0
    this.fallback = fakeDefaultReply
    return this
  }

  /** @internal Records the call and returns its answer. */
  next(call: FakeCall): FakeReply {
    this.calls.push(call)
    const entry = this.queue.shift() ?? this.fallback
    const reply = typeof entry === 'function' ? entry(call) : entry
    return typeof reply === 'string' ? { text: reply } : reply
  }
}
