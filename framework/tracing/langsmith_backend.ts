import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { Serialized } from '@langchain/core/load/serializable'
import type { ChainValues } from '@langchain/core/utils/types'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import type { LangSmithConfig } from './backends_config'
import type { BackendRun, TracingBackend } from './tracing_backends'
import type { TracingMetrics } from './tracing_metrics'

/** The most bytes of runs the LangSmith client holds while LangSmith is slow or down; beyond it the client drops runs. */
const MAX_INGEST_BYTES = 64 * 1024 * 1024

export interface LangSmithBackendOptions {
  config: LangSmithConfig
  timeoutMs: number
  metrics: TracingMetrics
  logger?: Logger
}

/**
 * LangSmith through LangChain's own tracer and the `langsmith` client, one
 * client per application: runs are batched in the background, the root run
 * never waits for LangSmith, the queue is bounded, a request is bounded by
 * the timeout, and a failed upload is logged (once until it recovers) and
 * counted in `langvel_tracing_backend_dropped_total{backend="langsmith"}`.
 * The client sends no runtime or environment metadata.
 *
 * @example
 * const backend = LangSmithBackend.create({ config, timeoutMs: 10_000, metrics: tracingMetrics() })
 * await graph.invoke(input, { callbacks: [backend.handler(run)] })
 */
export class LangSmithBackend implements TracingBackend {
  readonly name = 'langsmith' as const
  readonly scope: LangSmithConfig['scope']
  private failing = false

  private constructor(
    private readonly options: LangSmithBackendOptions,
    private readonly client: import('langsmith').Client,
    private readonly Tracer: new (fields: ConstructorParameters<typeof import('@langchain/core/tracers/tracer_langchain').LangChainTracer>[0] & { rootName: string }) => BaseCallbackHandler,
  ) {
    this.scope = options.config.scope
  }

  static create(options: LangSmithBackendOptions): LangSmithBackend {
    // Loaded only when LangSmith is configured.
    const { Client } = require('langsmith') as typeof import('langsmith')
    const { LangChainTracer } = require('@langchain/core/tracers/tracer_langchain') as typeof import('@langchain/core/tracers/tracer_langchain')
    const client = new Client({
      apiUrl: options.config.endpoint,
      apiKey: options.config.apiKey,
      autoBatchTracing: true,
      blockOnRootRunFinalization: false,
      maxIngestMemoryBytes: MAX_INGEST_BYTES,
      timeout_ms: options.timeoutMs,
      omitTracedRuntimeInfo: true,
      // No retries: a failed upload is dropped and counted once, never held for a backend that is down.
      callerOptions: { maxRetries: 0 },
      fetchImplementation: ((input: Parameters<typeof fetch>[0], init?: RequestInit) => backend.send(input, init)) as typeof fetch,
    })
    /** LangChain's tracer, with the root run named after the route. */
    class RouteTracer extends LangChainTracer {
      private readonly rootName: string
      constructor(fields: ConstructorParameters<typeof LangChainTracer>[0] & { rootName: string }) {
        super(fields)
        this.rootName = fields.rootName
      }

      // LangChain copies a tracer to pass tracing metadata down; the copy keeps the route's root name.
      override copyWithTracingConfig(config: { metadata?: Record<string, unknown>; tags?: string[] }): InstanceType<typeof LangChainTracer> {
        const merged = super.copyWithTracingConfig(config)
        const copied = new RouteTracer({ ...this.fields, rootName: this.rootName, metadata: merged.tracingMetadata, tags: merged.tracingTags })
        copied.runMap = this.runMap
        copied.runTreeMap = this.runTreeMap
        return copied
      }

      // LangChain creates a tracer's run synchronously through this method, before the handler's own (background) call.
      override _createRunForChainStart(
        chain: Serialized,
        inputs: ChainValues,
        runId: string,
        parentRunId?: string,
        tags?: string[],
        metadata?: Record<string, unknown>,
        runType?: string,
        name?: string,
        extra?: Record<string, unknown>,
      ) {
        return super._createRunForChainStart(chain, inputs, runId, parentRunId, tags, metadata, runType, parentRunId === undefined ? this.rootName : name, extra)
      }
    }
    const backend = new LangSmithBackend(options, client, RouteTracer as never)
    return backend
  }

  handler(run: BackendRun): BaseCallbackHandler {
    return new this.Tracer({
      client: this.client,
      projectName: this.options.config.project,
      rootName: run.name,
      // Tracer metadata goes to LangSmith only, never into the run's stream events.
      metadata: {
        langvel_route: run.path,
        langvel_agent: run.agent,
        langvel_thread_id: run.threadId,
        ...(run.principalId ? { principal_id: run.principalId } : {}),
        ...(run.requestId ? { request_id: run.requestId } : {}),
      },
    })
  }

  async shutdown(timeoutMs: number): Promise<void> {
    await within(this.client.awaitPendingTraceBatches(), timeoutMs)
  }

  /** Every request the client makes: bounded, and a failed upload logged and counted, never thrown at a run. */
  private async send(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const upload = /\/runs(\/batch|\/multipart)?(\?|$)/.test(new URL(url).pathname)
    const timeout = AbortSignal.timeout(this.options.timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    try {
      const response = await fetch(input, { ...init, signal })
      if (upload) this.settled(response.ok ? undefined : `HTTP ${response.status}`, init?.body)
      return response
    } catch (error) {
      if (upload) this.settled(error instanceof Error ? error.message : String(error), init?.body)
      // While LangSmith is unreachable the client retries its server-info request for many seconds before every
      // batch and holds the uploads behind it. Answered with no information, it uses the defaults it would fall back
      // to anyway, so uploads go on (and what fails is counted) instead of piling up.
      if (new URL(url).pathname.endsWith('/info')) return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
      throw error
    }
  }

  private settled(failure: string | undefined, body: unknown): void {
    if (failure === undefined) {
      if (this.failing) this.options.logger?.info('LangSmith upload recovered')
      this.failing = false
      return
    }
    const runs = countRuns(body)
    this.options.metrics.recordBackendDropped('langsmith', 'export_failed', runs)
    if (!this.failing) this.options.logger?.warn('LangSmith upload failed: runs are dropped until LangSmith answers', { runs, error: failure })
    this.failing = true
  }
}

/** How many run creations and updates an upload carries (a JSON batch, a multipart form); 1 when it cannot tell. */
function countRuns(body: unknown): number {
  try {
    if (typeof body === 'string') {
      const parsed = JSON.parse(body) as { post?: unknown[]; patch?: unknown[] }
      if (Array.isArray(parsed.post) || Array.isArray(parsed.patch)) return (parsed.post?.length ?? 0) + (parsed.patch?.length ?? 0)
      return 1
    }
    if (body instanceof FormData) {
      let parts = 0
      for (const key of body.keys()) if (/^(post|patch)\.[^.]+$/.test(key)) parts++
      return Math.max(parts, 1)
    }
  } catch {
    // An unreadable body still was one upload.
  }
  return 1
}
