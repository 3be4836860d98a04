import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** How an agent run ended. A closed set, so the label never grows with traffic. */
export type RunOutcome = 'success' | 'interrupted' | 'error' | 'invalid' | 'timeout' | 'cancelled' | 'rejected'

export type ToolOutcome = 'success' | 'failure'

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC). On by default. */
  defaultMetrics?: boolean
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

/**
 * The Prometheus metrics of one process, on a registry of its own (never
 * prom-client's global one, so an application's metrics cannot collide with
 * ours). Every label takes values from a bounded set: route templates, never
 * raw paths; agent and node names from registered graphs; fixed outcomes.
 *
 * Other modules record through the functions at the bottom of this file
 * (`recordNodeDuration`, `recordToolExecution`...), which use one shared
 * instance per process.
 *
 * @example
 * const metrics = getMetrics()
 * metrics.observeHttpRequest('POST', '/agents/:path', 200, 0.012)
 * const text = await metrics.render()
 */
export class Metrics {
  readonly registry = new Registry()

  readonly httpRequests = new Counter({
    name: 'langvel_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  })

  readonly httpDuration = new Histogram({
    name: 'langvel_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly httpInFlight = new Gauge({
    name: 'langvel_http_requests_in_flight',
    help: 'HTTP requests being handled (streams included)',
    registers: [this.registry],
  })

  readonly agentRuns = new Counter({
    name: 'langvel_agent_runs_total',
    help: 'Agent runs by agent route and outcome',
    labelNames: ['agent', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly agentRunDuration = new Histogram({
    name: 'langvel_agent_run_duration_seconds',
    help: 'Agent run duration by agent route and outcome',
    labelNames: ['agent', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly nodeDuration = new Histogram({
    name: 'langvel_node_duration_seconds',
    help: 'Graph node execution time by agent and node',
    labelNames: ['agent', 'node'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly toolExecutions = new Counter({
    name: 'langvel_tool_executions_total',
    help: 'Tool calls by tool and outcome (success, failure), one per call whatever its attempts',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  })

  readonly toolDuration = new Histogram({
    name: 'langvel_tool_duration_seconds',
    help: 'Tool call duration by tool, retries and backoff included',
    labelNames: ['tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  readonly runsActive = new Gauge({
    name: 'langvel_agent_runs_active',
    help: 'Agent runs holding a concurrency slot',
    registers: [this.registry],
  })

  readonly runsQueued = new Gauge({
    name: 'langvel_agent_runs_queued',
    help: 'Agent runs waiting for a concurrency slot',
    registers: [this.registry],
  })

  readonly concurrencyLimit = new Gauge({
    name: 'langvel_agent_runs_concurrency_limit',
    help: 'MAX_CONCURRENT_REQUESTS of this process',
    registers: [this.registry],
  })

  readonly queueLimit = new Gauge({
    name: 'langvel_agent_runs_queue_limit',
    help: 'MAX_QUEUE_SIZE of this process',
    registers: [this.registry],
  })

  constructor(options: MetricsOptions = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** Records one finished HTTP request. `route` must be a template (`/agents/:path`), not the raw URL. */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: HTTP_METHODS.has(method) ? method : 'OTHER', route, status: String(status) }
    this.httpRequests.inc(labels)
    this.httpDuration.observe(labels, seconds)
  }

  recordAgentRun(agent: string, outcome: RunOutcome, seconds: number): void {
    this.agentRuns.inc({ agent, outcome })
    this.agentRunDuration.observe({ agent, outcome }, seconds)
  }

  recordNodeDuration(agent: string, node: string, seconds: number): void {
    this.nodeDuration.observe({ agent, node }, seconds)
  }

  recordToolExecution(tool: string, outcome: ToolOutcome, seconds?: number): void {
    this.toolExecutions.inc({ tool, outcome })
    if (seconds !== undefined) this.toolDuration.observe({ tool }, seconds)
  }

  setConcurrency(active: number, queued: number): void {
    this.runsActive.set(active)
    this.runsQueued.set(queued)
  }

  setLimits(concurrency: number, queue: number): void {
    this.concurrencyLimit.set(concurrency)
    this.queueLimit.set(queue)
  }

  /** The Prometheus text exposition of this process. */
  render(): Promise<string> {
    return this.registry.metrics()
  }
}

let shared: Metrics | undefined

/** The process-wide metrics, created on first use. */
export function getMetrics(): Metrics {
  shared ??= new Metrics()
  return shared
}

/** Called by the agents layer after each node; `agent` is the route path. */
export function recordNodeDuration(agent: string, node: string, seconds: number): void {
  getMetrics().recordNodeDuration(agent, node, seconds)
}

/** Called by Tool.call() once per call (not per attempt); a cancelled call is not recorded. */
export function recordToolExecution(tool: string, outcome: ToolOutcome, seconds?: number): void {
  getMetrics().recordToolExecution(tool, outcome, seconds)
}

export function recordAgentRun(agent: string, outcome: RunOutcome, seconds: number): void {
  getMetrics().recordAgentRun(agent, outcome, seconds)
}
