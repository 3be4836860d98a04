import { tool as langchainTool, type DynamicStructuredTool } from '@langchain/core/tools'
import type { Attributes } from '@opentelemetry/api'
import { z, type ZodType } from 'zod'
import type { RequestContext } from '../contracts/request_context'
import { E_TOOL_FAILED, E_TOOL_INPUT, E_TOOL_TIMEOUT, isException } from '../errors'
import { recordToolExecution, type ToolOutcome } from '../observability/metrics'
import { abortError } from '../support/abort'
import { backoffDelay, sleep } from '../support/backoff'
import { activeTracing, TRACED_BY_LANGVEL } from '../tracing/tracing_runtime'
import type { RetryOptions, ToolApprovalContext, ToolCallOptions, ToolDefinition } from './types'

type ResolvedRetry = Required<Omit<RetryOptions, 'when'>> & Pick<RetryOptions, 'when'>

/** Client errors (bad arguments, forbidden...) do not get better by asking again. */
function defaultRetryable(error: unknown): boolean {
  return !(isException(error) && error.status < 500)
}

function resolveRetry(retry: number | RetryOptions | undefined): ResolvedRetry {
  const options = typeof retry === 'number' ? { retries: retry } : (retry ?? { retries: 0 })
  return { baseDelayMs: 200, maxDelayMs: 5000, ...options }
}

function issueSummary(error: z.ZodError): { summary: string; issues: Array<{ path: string; message: string; code: string }> } {
  const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message, code: issue.code }))
  return { summary: issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), issues }
}

/** A tool's input or output as span text, bounded. */
function contentText(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  return text.length > 8192 ? `${text.slice(0, 8192)}...` : text
}

/** The LangGraph run context travels as `config.context`; older callers put it under `configurable`. */
function contextFrom(config: unknown): RequestContext | undefined {
  const c = config as { context?: unknown; configurable?: { context?: unknown } } | undefined
  const value = c?.context ?? c?.configurable?.context
  return value && typeof value === 'object' ? (value as RequestContext) : undefined
}

/**
 * A typed, validated, retrying, time-limited function an agent (or a model)
 * can call. Create one with `defineTool()`.
 *
 * @example
 * const result = await searchDocsTool.call({ query: 'checkpointer' }, { signal })
 * const forModel = searchDocsTool.toLangChain() // hand to model.bindTools([...]) or a ToolNode
 */
export class Tool<S extends ZodType = ZodType, O = unknown> {
  readonly name: string
  readonly description: string
  readonly schema: S
  readonly timeoutMs?: number
  readonly retry: ResolvedRetry
  private langchain?: DynamicStructuredTool

  constructor(private readonly definition: ToolDefinition<S, O>) {
    this.name = definition.name
    this.description = definition.description
    this.schema = definition.schema
    this.timeoutMs = definition.timeoutMs
    this.retry = resolveRetry(definition.retry)
  }

  /** Validates `input` against the schema; throws E_TOOL_INPUT with per-field details. */
  parse(input: unknown): z.output<S> {
    const result = this.schema.safeParse(input)
    if (result.success) return result.data as z.output<S>
    const { summary, issues } = issueSummary(result.error)
    throw new E_TOOL_INPUT(this.name, summary, { details: { tool: this.name, issues } })
  }

  /**
   * Runs the tool: validate, then up to `1 + retries` attempts, each bounded
   * by `timeoutMs`, then the fallback if one is defined.
   *
   * Rejects with E_TOOL_INPUT (bad input, no retry), E_TOOL_TIMEOUT (last
   * attempt timed out), E_TOOL_FAILED (last attempt threw; `cause` is the
   * handler's error) or E_ABORTED / the signal's reason (run cancelled; no
   * retry, no fallback).
   *
   * Every call, however it arrives (directly, a ToolRegistry, toolLoop, the
   * LangChain adapter), counts once in `langvel_tool_executions_total`:
   * `success`, or `failure` for bad input and for a call whose attempts all
   * failed (answered by the fallback or not). Retries are not counted apart;
   * a cancelled call is not counted. With tracing on, each call is an
   * `execute_tool <name>` span (arguments and result on it only with
   * OTEL_CAPTURE_CONTENT=true).
   */
  call(input: z.input<S> | unknown, options: ToolCallOptions = {}): Promise<O> {
    const tracing = activeTracing()
    if (!tracing) return this.execute(input, options)
    const capture = tracing.captureContent
    const attributes: Attributes = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': this.name }
    if (options.toolCallId) attributes['gen_ai.tool.call.id'] = options.toolCallId
    if (capture) attributes['gen_ai.tool.call.arguments'] = contentText(input)
    return tracing.inSpan(`execute_tool ${this.name}`, { attributes }, async (span) => {
      const output = await this.execute(input, options)
      if (capture) span.setAttribute('gen_ai.tool.call.result', contentText(output))
      return output
    })
  }

  private async execute(input: unknown, options: ToolCallOptions): Promise<O> {
    const started = performance.now()
    let parsed: z.output<S>
    try {
      parsed = this.parse(input)
    } catch (error) {
      this.record('failure', started)
      throw error
    }
    let finalError: Error
    try {
      const output = await this.attempts(parsed, options)
      this.record('success', started)
      return output
    } catch (error) {
      // A cancelled run is neither a success nor a failure of the tool.
      if (options.signal?.aborted) throw error
      this.record('failure', started)
      if (!this.definition.fallback) throw error
      finalError = error as Error
    }
    return this.definition.fallback(finalError, parsed)
  }

  /** Whether this call must wait for a human's approval in a tool loop (`requiresApproval`); `input` is already validated. */
  async needsApproval(input: z.output<S>, ctx: ToolApprovalContext = {}): Promise<boolean> {
    const rule = this.definition.requiresApproval
    if (typeof rule === 'function') return Boolean(await rule(input, ctx))
    return rule === true
  }

  /** Whether some calls may wait for approval (`requiresApproval` is declared). */
  get mayNeedApproval(): boolean {
    const rule = this.definition.requiresApproval
    return rule !== undefined && rule !== false
  }

  /** Whether a successful call ends the tool loop it runs in (`returnDirect`). */
  get returnDirect(): boolean {
    return this.definition.returnDirect === true
  }

  /** JSON schema of the input, as a model sees it (defaults make fields optional). */
  toJSONSchema(): Record<string, unknown> {
    if (this.definition.jsonSchema) return this.definition.jsonSchema
    const { $schema: _ignored, ...schema } = z.toJSONSchema(this.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
    return schema
  }

  /**
   * A LangChain tool over this one, for `model.bindTools()` or a LangGraph
   * ToolNode. Calls go through `call()`, so validation, retries, timeouts and
   * the fallback apply; objects are returned to the model as JSON text.
   */
  toLangChain(): DynamicStructuredTool {
    if (this.langchain) return this.langchain
    const adapter = langchainTool(
      async (input: unknown, config) => {
        const output = await this.call(input, {
          signal: config?.signal,
          context: contextFrom(config),
          toolCallId: (config as { toolCall?: { id?: string } } | undefined)?.toolCall?.id,
        })
        return typeof output === 'string' ? output : JSON.stringify(output)
      },
      // A JSON schema (not the zod one) so LangChain only checks the shape and
      // our zod parse in call() applies defaults and transforms exactly once.
      { name: this.name, description: this.description, schema: this.toJSONSchema() },
    ) as unknown as DynamicStructuredTool
    // call() makes the span of each call: while tracing is on, the LangChain run
    // around it is marked so the graph's handler makes none. Read per call (the
    // adapter is cached); nothing is marked while tracing is off.
    Object.defineProperty(adapter, 'metadata', {
      get: () => (activeTracing() ? { [TRACED_BY_LANGVEL]: true } : undefined),
      set: () => undefined,
      configurable: true,
    })
    this.langchain = adapter
    return adapter
  }

  /** The attempts with their backoff; rejects with the final error (the fallback is the caller's). */
  private async attempts(parsed: z.output<S>, options: ToolCallOptions): Promise<O> {
    const { signal } = options
    const when = this.retry.when ?? defaultRetryable
    let lastError: unknown
    let attempts = 0
    for (let attempt = 0; attempt <= this.retry.retries; attempt++) {
      if (signal?.aborted) throw abortError(signal)
      if (attempt > 0) await sleep(backoffDelay(attempt, this.retry.baseDelayMs, this.retry.maxDelayMs), signal)
      attempts++
      try {
        return await this.attempt(parsed, attempt, options)
      } catch (error) {
        if (signal?.aborted) throw abortError(signal)
        lastError = error
        if (!when(error)) break
      }
    }
    if (lastError instanceof E_TOOL_TIMEOUT) throw lastError
    throw new E_TOOL_FAILED(this.name, lastError instanceof Error ? lastError.message : String(lastError), {
      cause: lastError,
      details: { tool: this.name, attempts },
    })
  }

  private record(outcome: ToolOutcome, started: number): void {
    recordToolExecution(this.name, outcome, (performance.now() - started) / 1000)
  }

  private async attempt(input: z.output<S>, attempt: number, options: ToolCallOptions): Promise<O> {
    const controller = new AbortController()
    const runSignal = options.signal
    const onRunAbort = () => controller.abort(runSignal?.reason)
    runSignal?.addEventListener('abort', onRunAbort, { once: true })
    const timeoutMs = this.timeoutMs
    const timer = timeoutMs ? setTimeout(() => controller.abort(new E_TOOL_TIMEOUT(this.name, timeoutMs)), timeoutMs) : undefined
    // Rejects the moment the attempt is stopped, even if the handler ignores its signal.
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(abortError(controller.signal)), { once: true })
    })
    try {
      const work = Promise.resolve().then(() =>
        this.definition.handler(input, { signal: controller.signal, context: options.context, attempt, toolCallId: options.toolCallId }),
      )
      // A handler abandoned after a timeout may still reject later; that is expected, not unhandled.
      work.catch(() => undefined)
      return await Promise.race([work, stopped])
    } finally {
      clearTimeout(timer)
      runSignal?.removeEventListener('abort', onRunAbort)
    }
  }
}
