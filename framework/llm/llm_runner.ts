import type { BaseChatModel, BindToolsInput } from '@langchain/core/language_models/chat_models'
import type { AIMessage, AIMessageChunk, BaseMessage } from '@langchain/core/messages'
import type { Runnable } from '@langchain/core/runnables'
import { convertToOpenAITool } from '@langchain/core/utils/function_calling'
import type { Tracing } from '../contracts/tracing'
import { E_RUNTIME } from '../errors'
import type { Logger } from '../logger'
import { abortError } from '../support/abort'
import { recordSpanError } from '../tracing/span_errors'
import { activeTracing, ownRunId, releaseRunId } from '../tracing/tracing_runtime'
import type { ChatClients } from './chat_clients'
import type { LlmMetrics, LlmOutcome } from './llm_metrics'
import { modelSpan, responseAttributes } from './llm_spans'
import { attemptSignal, classifyLlmError, llmError, retryDelay, type LlmFailure, type RetryPolicy } from './llm_retry'
import { asAIMessage, restoreAnswer, storeAnswer } from './messages'
import { responseCacheKey, type ResponseCacheStore } from './response_cache'
import { countCompletionTokens, countMessageTokens } from './token_counter'
import type { ClientSettings, LlmResponse, LlmStreamEvent, LlmUsage } from './types'

/** One model call, fully resolved (defaults and per-call overrides applied). */
export interface ModelRequest {
  settings: ClientSettings
  messages: BaseMessage[]
  /** Messages the working-memory budget (`trim`) left out; undefined when the call has no budget. */
  trimmed?: number
  tools: BindToolsInput[]
  toolChoice?: string
  signal?: AbortSignal
  timeoutMs: number
  maxRetries: number
  /** Read and write the response cache with this TTL; undefined bypasses it. */
  cache?: { ttlSeconds: number }
  /** Cache the answer only if this holds (structured output caches valid answers only). */
  cacheable?: (message: AIMessage) => boolean
}

export interface LlmRunnerDeps {
  clients: ChatClients
  cache: () => ResponseCacheStore
  metrics: LlmMetrics
  logger?: Logger
  retry: Omit<RetryPolicy, 'maxRetries'>
  /** Waits between attempts; rejects when the signal aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

type ModelRunnable = Runnable<BaseMessage[], AIMessageChunk>

/** Rejects as soon as `signal` aborts, even when the work ignores it. */
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * Runs one model call with, while tracing is on, a run id marked as having its
 * span already (llm_spans.ts), so the graph's handler makes no second one.
 */
function ownRun<T>(call: (runId: string | undefined) => Promise<T>): Promise<T> {
  const runId = ownRunId()
  const work = call(runId)
  if (runId) void work.finally(() => releaseRunId(runId)).catch(() => undefined)
  return work
}

const OUTCOMES: Record<LlmFailure['kind'], LlmOutcome> = { rate_limited: 'rate_limited', timeout: 'timeout', server: 'error', network: 'error', client: 'error' }

/**
 * Executes model calls: binds tools, consults the response cache, retries
 * with backoff (honouring Retry-After), enforces the per-attempt timeout and
 * the run's cancellation, and reports usage to the log, the metrics and,
 * when tracing is on, a span per call (GenAI conventions, llm_spans.ts).
 * `Llm` resolves options into a ModelRequest; this class does the rest.
 */
export class LlmRunner {
  constructor(private readonly deps: LlmRunnerDeps) {}

  /** One model call; a `chat <model>` span when tracing is on. */
  run(request: ModelRequest): Promise<LlmResponse> {
    const tracing = activeTracing()
    if (!tracing) return this.execute(request)
    const { name, options } = modelSpan(request, tracing.captureContent)
    return tracing.inSpan(name, options, async (span) => {
      const response = await this.execute(request)
      span.setAttributes(responseAttributes(response, tracing.captureContent))
      return response
    })
  }

  /** One streamed model call; its span lasts until the stream ends. */
  stream(request: ModelRequest): AsyncGenerator<LlmStreamEvent> {
    const tracing = activeTracing()
    return tracing ? this.tracedStream(tracing, request) : this.streamEvents(request)
  }

  private async *tracedStream(tracing: Tracing, request: ModelRequest): AsyncGenerator<LlmStreamEvent> {
    const { name, options } = modelSpan(request, tracing.captureContent)
    const span = tracing.startSpan(name, options)
    try {
      for await (const event of this.streamEvents(request)) {
        if (event.type === 'usage') span.setAttributes(responseAttributes(event.response, tracing.captureContent))
        yield event
      }
    } catch (error) {
      recordSpanError(span, error)
      throw error
    } finally {
      span.end()
    }
  }

  private async execute(request: ModelRequest): Promise<LlmResponse> {
    const started = performance.now()
    const key = this.cacheKey(request)
    if (key) {
      const hit = await this.cached(request, key, started)
      if (hit) return hit
    }
    const model = this.model(request)
    const { value, attempts } = await this.attempts(request, started, (signal) => ownRun((runId) => model.invoke(request.messages, { signal, ...(runId ? { runId } : {}) })))
    return this.finish(request, asAIMessage(value), { started, attempts, key })
  }

  private async *streamEvents(request: ModelRequest): AsyncGenerator<LlmStreamEvent> {
    const started = performance.now()
    const key = this.cacheKey(request)
    if (key) {
      const hit = await this.cached(request, key, started)
      if (hit) {
        if (hit.text) yield { type: 'text', text: hit.text }
        yield { type: 'usage', usage: hit.usage, response: hit }
        return
      }
    }
    const model = this.model(request)
    for (let attempt = 1; ; attempt++) {
      if (request.signal?.aborted) throw this.cancelled(request, started)
      const scope = attemptSignal(request.signal, request.timeoutMs)
      let aggregate: AIMessageChunk | undefined
      let yielded = false
      let done = false
      let failure: { error: unknown; timedOut: boolean } | undefined
      const runId = ownRunId()
      try {
        const iterator = (await raced(model.stream(request.messages, { signal: scope.signal, ...(runId ? { runId } : {}) }), scope.signal))[Symbol.asyncIterator]()
        for (;;) {
          const next = await raced(iterator.next(), scope.signal)
          if (next.done) break
          aggregate = aggregate ? aggregate.concat(next.value) : next.value
          const text = next.value.text
          if (text) {
            yielded = true
            yield { type: 'text', text }
          }
        }
        done = true
      } catch (error) {
        failure = { error, timedOut: scope.timedOut() }
      } finally {
        // Stops the HTTP stream when the consumer leaves early or the attempt failed.
        if (!done) scope.abort()
        scope.dispose()
        releaseRunId(runId)
      }
      if (done) {
        if (!aggregate) throw new E_RUNTIME('The model stream ended without a message')
        const response = await this.finish(request, asAIMessage(aggregate), { started, attempts: attempt, key })
        yield { type: 'usage', usage: response.usage, response }
        return
      }
      // Text already handed out cannot be taken back: a failure mid-stream is final.
      await this.afterFailure(request, started, attempt, failure as { error: unknown; timedOut: boolean }, yielded)
    }
  }

  /** LangChain tool specs in the provider-neutral function format, for the cache key. */
  private toolSpecs(tools: BindToolsInput[]): unknown[] {
    return tools.map((tool) => convertToOpenAITool(tool as never).function)
  }

  private model(request: ModelRequest): ModelRunnable {
    const client: BaseChatModel = this.deps.clients.get(request.settings)
    if (request.tools.length === 0) return client as unknown as ModelRunnable
    if (typeof client.bindTools !== 'function') throw new E_RUNTIME(`Provider ${request.settings.provider} does not support tool calling`)
    const options = request.toolChoice ? { tool_choice: request.toolChoice } : undefined
    return client.bindTools(request.tools, options as never) as unknown as ModelRunnable
  }

  private async attempts<T>(request: ModelRequest, started: number, call: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      if (request.signal?.aborted) throw this.cancelled(request, started)
      const scope = attemptSignal(request.signal, request.timeoutMs)
      let failure: { error: unknown; timedOut: boolean }
      try {
        const value = await raced(call(scope.signal), scope.signal)
        this.recordOutcome(request, 'success', started)
        return { value, attempts: attempt }
      } catch (error) {
        failure = { error, timedOut: scope.timedOut() }
      } finally {
        scope.dispose()
      }
      await this.afterFailure(request, started, attempt, failure, false)
    }
  }

  /** Throws the final error, or waits out the backoff before the next attempt. */
  private async afterFailure(request: ModelRequest, started: number, attempt: number, failed: { error: unknown; timedOut: boolean }, final: boolean): Promise<void> {
    const { provider, model } = request.settings
    if (request.signal?.aborted) throw this.cancelled(request, started)
    const failure = classifyLlmError(failed.error, failed.timedOut)
    const delay = final ? undefined : retryDelay(failure, attempt, { ...this.deps.retry, maxRetries: request.maxRetries })
    if (delay === undefined) {
      this.recordOutcome(request, OUTCOMES[failure.kind], started)
      this.deps.logger?.warn('model call failed', { provider, model, attempts: attempt, reason: failure.kind, status: failure.status, error: failure.message })
      throw llmError(failure, attempt, { provider, model, timeoutMs: request.timeoutMs }, failed.error)
    }
    this.deps.metrics.recordRetry(provider, model, failure.kind)
    this.deps.logger?.debug('model call failed, retrying', { provider, model, attempt, reason: failure.kind, status: failure.status, delayMs: Math.round(delay) })
    try {
      await this.deps.sleep(delay, request.signal)
    } catch (error) {
      if (request.signal?.aborted) throw this.cancelled(request, started)
      throw error
    }
  }

  private cancelled(request: ModelRequest, started: number): Error {
    this.recordOutcome(request, 'cancelled', started)
    return abortError(request.signal as AbortSignal)
  }

  private recordOutcome(request: ModelRequest, outcome: LlmOutcome, started: number): void {
    this.deps.metrics.recordRequest(request.settings.provider, request.settings.model, outcome, (performance.now() - started) / 1000)
  }

  private cacheKey(request: ModelRequest): string | undefined {
    if (!request.cache) return undefined
    return responseCacheKey({ ...request.settings, messages: request.messages, tools: this.toolSpecs(request.tools), toolChoice: request.toolChoice })
  }

  private async cached(request: ModelRequest, key: string, started: number): Promise<LlmResponse | undefined> {
    const { provider, model } = request.settings
    let stored
    try {
      stored = await this.deps.cache().get(key)
    } catch (error) {
      // A cache outage costs a provider call, never the answer.
      this.deps.logger?.warn('model cache read failed', { provider, model, error: (error as Error).message })
      return undefined
    }
    this.deps.metrics.recordCache(provider, model, stored !== undefined)
    if (!stored) return undefined
    const message = restoreAnswer(stored)
    const response = this.response(request, message, { started, attempts: 0, cached: true })
    this.deps.logger?.debug('model call answered from cache', { provider, model, latencyMs: response.latencyMs })
    return response
  }

  private async finish(request: ModelRequest, message: AIMessage, meta: { started: number; attempts: number; key?: string }): Promise<LlmResponse> {
    const response = this.response(request, message, { ...meta, cached: false })
    const { provider, model } = request.settings
    const { usage } = response
    this.deps.metrics.recordTokens(provider, model, usage.promptTokens, usage.completionTokens)
    this.deps.logger?.debug('model call', {
      provider,
      model,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      estimatedUsage: usage.estimated,
      latencyMs: response.latencyMs,
      attempts: meta.attempts,
      toolCalls: response.toolCalls.length,
      ...(request.trimmed === undefined ? {} : { trimmedMessages: request.trimmed }),
    })
    if (meta.key && request.cache && (!request.cacheable || request.cacheable(message))) {
      try {
        await this.deps.cache().set(meta.key, storeAnswer(message), request.cache.ttlSeconds)
      } catch (error) {
        this.deps.logger?.warn('model cache write failed', { provider, model, error: (error as Error).message })
      }
    }
    return response
  }

  private response(request: ModelRequest, message: AIMessage, meta: { started: number; attempts: number; cached: boolean }): LlmResponse {
    return {
      text: message.text,
      message,
      toolCalls: message.tool_calls ?? [],
      usage: usageOf(request.messages, message),
      provider: request.settings.provider,
      model: request.settings.model,
      latencyMs: Math.round((performance.now() - meta.started) * 100) / 100,
      cached: meta.cached,
      attempts: meta.attempts,
    }
  }
}

/** The provider's reported usage, or local counts when it reported none. */
export function usageOf(prompt: readonly BaseMessage[], message: AIMessage): LlmUsage {
  const reported = message.usage_metadata
  if (reported && (reported.input_tokens > 0 || reported.output_tokens > 0)) {
    return {
      promptTokens: reported.input_tokens,
      completionTokens: reported.output_tokens,
      totalTokens: reported.total_tokens ?? reported.input_tokens + reported.output_tokens,
      estimated: false,
    }
  }
  const promptTokens = countMessageTokens(prompt)
  const completionTokens = countCompletionTokens(message)
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true }
}
