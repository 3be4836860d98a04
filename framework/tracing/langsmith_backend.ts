import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { Serialized } from '@langchain/core/load/serializable'
import type { ChainValues } from '@langchain/core/utils/types'
import * as zlib from 'node:zlib'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import type { LangSmithConfig } from './backends_config'
import { FailureLog } from './failure_log'
import type { BackendRun, TracingBackend } from './tracing_backends'
import type { TracingMetrics } from './tracing_metrics'

/** The most bytes of runs the LangSmith client holds while LangSmith is slow or down; beyond it the client drops runs. */
const MAX_INGEST_BYTES = 64 * 1024 * 1024

export interface LangSmithBackendOptions {
  config: LangSmithConfig
  timeoutMs: number
  metrics: TracingMetrics
  logger?: Logger
  /** After LangSmith's server information could not be read, the least time before the client asks for it again. */
  serverInfoRetryMs?: number
}

/** Server information the client keeps once read (internal fields of the `langsmith` client). */
interface ServerInfoCache {
  _serverInfo?: unknown
  _getServerInfoPromise?: unknown
}

/**
 * LangSmith through LangChain's own tracer and the `langsmith` client, one
 * client per application: runs are batched in the background, the root run
 * never waits for LangSmith, the queue is bounded, a request is bounded by
 * the timeout, uploads are not retried, and a failed upload is logged (once
 * until it recovers) and counted in
 * `langvel_tracing_backend_dropped_total{backend="langsmith"}` (run creations
 * and updates it carried). The client sends no runtime or environment
 * metadata.
 *
 * The client reads LangSmith's server information (`GET <endpoint>/info`:
 * batch size limits, compression) before its first upload, retrying for many
 * seconds while it fails. When that request fails in any way it is answered
 * here with no information at once, so uploads go on with the client's
 * defaults; the client asks again after the next successful upload, at most
 * once per `serverInfoRetryMs`.
 *
 * @example
 * const backend = LangSmithBackend.create({ config, timeoutMs: 10_000, metrics: tracingMetrics() })
 * await graph.invoke(input, { callbacks: [backend.handler(run)] })
 */
export class LangSmithBackend implements TracingBackend {
  readonly name = 'langsmith' as const
  readonly scope: LangSmithConfig['scope']
  private readonly failures: FailureLog
  private readonly infoUrl: string
  /** When the server information was last answered here instead of by LangSmith. */
  private infoSubstitutedAt?: number

  private constructor(
    private readonly options: LangSmithBackendOptions,
    private readonly client: import('langsmith').Client,
    private readonly Tracer: new (fields: ConstructorParameters<typeof import('@langchain/core/tracers/tracer_langchain').LangChainTracer>[0] & { rootName: string }) => BaseCallbackHandler,
  ) {
    this.scope = options.config.scope
    this.infoUrl = `${options.config.endpoint}/info`
    this.failures = new FailureLog(options.logger, 'LangSmith upload failed: runs are dropped until LangSmith answers', 'LangSmith upload recovered')
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
      // Uploads are not retried: a failed upload is dropped and counted once, never held for a backend that is down.
      // (The client's other requests keep their own retries; the server information request is answered in send().)
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
        // The root is the first run whose parent is not one of this tracer's own: an agent run started inside another
        // LangChain run is a trace of its own (LangChain's tracer drops a parent it does not know).
        const root = parentRunId === undefined || this.getRunById(parentRunId) === undefined
        return super._createRunForChainStart(chain, inputs, runId, parentRunId, tags, metadata, runType, root ? this.rootName : name, extra)
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
    await this.flush(timeoutMs)
  }

  /** Sends what runs traced so far left pending; true when done within `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    const { awaitAllCallbacks } = require('@langchain/core/callbacks/promises') as typeof import('@langchain/core/callbacks/promises')
    return within(
      awaitAllCallbacks().then(() => this.client.awaitPendingTraceBatches()),
      timeoutMs,
    )
  }

  /** Every request the client makes: bounded, and a failed upload logged and counted, never thrown at a run. */
  private async send(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const timeout = AbortSignal.timeout(this.options.timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    const method = (init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')).toUpperCase()
    if (method === 'GET' && url === this.infoUrl) return this.serverInfo(input, { ...init, signal })
    const upload = method === 'POST' && /\/runs(\/batch|\/multipart)?$/.test(new URL(url).pathname)
    if (!upload) return fetch(input, { ...init, signal })
    // A streamed multipart body is read here first, so the runs it carries can be counted if it is not taken.
    const body = init?.body instanceof ReadableStream ? new Uint8Array(await new Response(init.body).arrayBuffer()) : init?.body
    try {
      const response = await fetch(input, { ...init, body, signal })
      if (response.ok) this.uploaded()
      else await this.dropped(`HTTP ${response.status}`, body, init?.headers)
      return response
    } catch (error) {
      await this.dropped(error instanceof Error ? error.message : String(error), body, init?.headers)
      throw error
    }
  }

  /**
   * LangSmith's server information, or none when it cannot be read (unreachable, an error status, the
   * timeout): the client then uses the defaults it would fall back to anyway, at once, instead of retrying
   * for many seconds before every upload while LangSmith is down.
   */
  private async serverInfo(input: Parameters<typeof fetch>[0], init: RequestInit): Promise<Response> {
    try {
      const response = await fetch(input, init)
      if (response.ok) return response
      await response.body?.cancel().catch(() => undefined)
    } catch {
      // Answered below.
    }
    this.infoSubstitutedAt = Date.now()
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
  }

  private uploaded(): void {
    this.failures.succeeded()
    // The client keeps the empty answer for good: once LangSmith takes uploads again, let it ask once more.
    if (this.infoSubstitutedAt !== undefined && Date.now() - this.infoSubstitutedAt >= (this.options.serverInfoRetryMs ?? 60_000)) {
      this.infoSubstitutedAt = undefined
      const cache = this.client as unknown as ServerInfoCache
      cache._serverInfo = undefined
      cache._getServerInfoPromise = undefined
    }
  }

  private async dropped(failure: string, body: unknown, headers: RequestInit['headers']): Promise<void> {
    const runs = await countRuns(body, new Headers(headers)).catch(() => 1)
    this.options.metrics.recordBackendDropped('langsmith', 'export_failed', runs)
    this.failures.failed({ runs, error: failure })
  }
}

/**
 * How many run creations and updates an upload carries: the `post` and
 * `patch` items of a JSON batch, the `post.<id>` / `patch.<id>` parts of a
 * multipart upload (gzip-compressed or not); 1 for an upload it cannot read.
 */
async function countRuns(body: unknown, headers: Headers): Promise<number> {
  if (body instanceof FormData) {
    let parts = 0
    for (const key of body.keys()) if (/^(post|patch)\.[^.]+$/.test(key)) parts++
    return Math.max(parts, 1)
  }
  let bytes: Buffer
  if (typeof body === 'string') bytes = Buffer.from(body)
  else if (body instanceof ArrayBuffer) bytes = Buffer.from(body)
  else if (ArrayBuffer.isView(body)) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  else if (body instanceof Blob) bytes = Buffer.from(await body.arrayBuffer())
  else return 1
  const encoding = headers.get('content-encoding')?.toLowerCase() ?? 'identity'
  if (encoding === 'gzip') bytes = zlib.gunzipSync(bytes)
  else if (encoding === 'zstd') {
    const zstd = (zlib as { zstdDecompressSync?: (data: Buffer) => Buffer }).zstdDecompressSync
    if (!zstd) return 1
    bytes = zstd(bytes)
  } else if (encoding !== 'identity') return 1
  const boundary = /boundary=("?)([^";]+)\1/.exec(headers.get('content-type') ?? '')?.[2]
  if (boundary) {
    const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const parts = bytes.toString('latin1').match(new RegExp(`--${escaped}\r\nContent-Disposition: form-data; name="(?:post|patch)\\.[^".]+"\r\n`, 'g'))
    return Math.max(parts?.length ?? 0, 1)
  }
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { post?: unknown[]; patch?: unknown[] }
    if (Array.isArray(parsed.post) || Array.isArray(parsed.patch)) return Math.max((parsed.post?.length ?? 0) + (parsed.patch?.length ?? 0), 1)
  } catch {
    // Not JSON: one upload.
  }
  return 1
}
