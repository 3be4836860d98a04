import { randomUUID } from 'node:crypto'
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { AgentRouteInfo, RunOptions } from '../contracts/agent_run'
import type { Logger } from '../logger'
import { appLink } from '../support/app_link'
import { within } from '../support/deadlines'
import type { BackendScope } from './backends_config'
import type { TracingBackendName } from './tracing_metrics'

/** What a backend's trace of one run carries besides the run itself. */
export interface BackendRun {
  /** The root run's (trace's) name: the route's name, else its path. */
  name: string
  path: string
  agent: string
  threadId: string
  principalId?: string
  requestId?: string
}

/** One LangChain tracing backend (LangSmith, Langfuse): a callback handler per run, and a bounded flush. */
export interface TracingBackend {
  readonly name: TracingBackendName
  readonly scope: BackendScope
  /** A fresh handler that traces one run. */
  handler(run: BackendRun): BaseCallbackHandler
  /** Sends what is pending and releases the client; resolves within `timeoutMs` whatever the backend does. */
  shutdown(timeoutMs: number): Promise<void>
}

/**
 * The tracing backends of the booted application, and which of them trace a
 * given route: a backend with scope `all` traces every run, one with scope
 * `routes` only the routes declared with `.trace(name)`.
 *
 * @example
 * const options = backends.attach(route, ['langfuse'], runOptions)
 */
export class TracingBackends {
  constructor(
    readonly backends: readonly TracingBackend[],
    private readonly timeoutMs: number,
    private readonly logger?: Logger,
  ) {}

  /** The backends that trace a route declaring `declared` (its `.trace(...)` list). */
  for(declared: readonly string[] = []): TracingBackend[] {
    return this.backends.filter((backend) => backend.scope === 'all' || (backend.scope === 'routes' && declared.includes(backend.name)))
  }

  /**
   * `options` with a handler of each backend that traces the route; the same
   * options when none does. The thread id is chosen here when the caller
   * gave none, so the trace names the thread the run really uses.
   */
  attach<O extends RunOptions>(route: AgentRouteInfo, declared: readonly string[] | undefined, options: O): O {
    const backends = this.for(declared)
    if (backends.length === 0) return options
    const threadId = options.threadId ?? randomUUID()
    const run: BackendRun = {
      name: route.name ?? route.path,
      path: route.path,
      agent: route.agent,
      threadId,
      ...(options.context?.principal ? { principalId: options.context.principal.id } : {}),
      ...(options.context ? { requestId: options.context.requestId } : {}),
    }
    const handlers: BaseCallbackHandler[] = []
    for (const backend of backends) {
      try {
        handlers.push(backend.handler(run))
      } catch (error) {
        // A backend that cannot trace this run never stops it.
        this.logger?.warn('tracing backend could not trace a run', { backend: backend.name, error: error instanceof Error ? error.message : String(error) })
      }
    }
    return { ...options, threadId, callbacks: [...(options.callbacks ?? []), ...handlers] }
  }

  /** Flushes every backend, together, all of it bounded by the configured timeout. */
  async shutdown(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs
    const flushed = (async () => {
      // LangChain runs handlers in the background: let the calls already queued reach the clients first.
      const { awaitAllCallbacks } = require('@langchain/core/callbacks/promises') as typeof import('@langchain/core/callbacks/promises')
      await awaitAllCallbacks()
      await Promise.all(this.backends.map((backend) => backend.shutdown(Math.max(0, deadline - Date.now()))))
    })()
    await within(flushed, this.timeoutMs)
  }
}

/*
 * The process-wide link between the agent runner and the booted
 * application's backends: the tracing backends provider sets it at boot and
 * clears it at shutdown (an application shutting down after another booted
 * leaves that one's in place).
 */
const link = appLink<TracingBackends>()

/** Called by the tracing backends provider (and tests) with the application's backends. */
export function setTracingBackendsResolver(resolve: (() => TracingBackends) | undefined): void {
  link.set(resolve)
}

/** Unsets `resolve` if it is still the current one; true when it was. */
export function clearTracingBackendsResolver(resolve: () => TracingBackends): boolean {
  return link.clear(resolve)
}

/**
 * The backends a route declares with `.trace(...)` that will not trace it
 * (no credentials, or switched off), so the boot can say so.
 */
export function untracedBackends(declared: readonly string[] = [], backends: TracingBackends | undefined = link.get()): string[] {
  return declared.filter((name) => !backends?.backends.some((backend) => backend.name === name && backend.scope !== 'off'))
}

/** The booted application's tracing backends, or undefined when none is configured. */
export function activeTracingBackends(): TracingBackends | undefined {
  return link.get()
}
