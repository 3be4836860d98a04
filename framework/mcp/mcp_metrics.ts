import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { isException } from '../errors'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

/** Why a call to an MCP server failed: a closed set, so the label stays bounded. */
export type McpErrorKind = 'unavailable' | 'protocol' | 'timeout' | 'tool_error' | 'invalid_arguments' | 'cancelled' | 'other'

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/**
 * MCP client metrics on a registry (the process-wide one by default, so they
 * appear on /metrics and are summed across cluster workers). Server names come
 * from configuration and tool names from the server's own tool list, never
 * from request text.
 */
export class McpMetrics {
  readonly calls: Counter<'server' | 'tool' | 'outcome'>
  readonly errors: Counter<'server' | 'kind'>
  readonly duration: Histogram<'server' | 'tool'>
  readonly restarts: Counter<'server'>
  readonly up: Gauge<'server'>

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.calls = new Counter({
      name: 'langvel_mcp_calls_total',
      help: 'Calls to MCP servers (tools, resources, prompts) by server, tool and outcome (success, error)',
      labelNames: ['server', 'tool', 'outcome'] as const,
      registers,
    })
    this.errors = new Counter({
      name: 'langvel_mcp_errors_total',
      help: 'Failed MCP calls by server and kind (unavailable, protocol, timeout, tool_error, invalid_arguments, cancelled, other)',
      labelNames: ['server', 'kind'] as const,
      registers,
    })
    this.duration = new Histogram({
      name: 'langvel_mcp_call_duration_seconds',
      help: 'Duration of MCP calls by server and tool',
      labelNames: ['server', 'tool'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.restarts = new Counter({
      name: 'langvel_mcp_restarts_total',
      help: 'MCP servers started again (stdio) or reconnected (HTTP) after they went away',
      labelNames: ['server'] as const,
      registers,
    })
    this.up = new Gauge({
      name: 'langvel_mcp_server_up',
      help: 'Ready sessions with the MCP server: 1 per process while it is ready (summed over the workers of serve --workers N)',
      labelNames: ['server'] as const,
      registers,
    })
  }

  recordCall(server: string, tool: string, seconds: number, error?: unknown): void {
    this.calls.inc({ server, tool, outcome: error === undefined ? 'success' : 'error' })
    this.duration.observe({ server, tool }, seconds)
    if (error !== undefined) this.errors.inc({ server, kind: mcpErrorKind(error) })
  }
}

/** The metrics label of an error raised by an MCP call. */
export function mcpErrorKind(error: unknown): McpErrorKind {
  if (!isException(error)) return 'other'
  switch (error.code) {
    case 'E_MCP_UNAVAILABLE':
      return 'unavailable'
    case 'E_MCP_PROTOCOL':
      return 'protocol'
    case 'E_MCP_TIMEOUT':
      return 'timeout'
    case 'E_MCP_TOOL_ERROR':
      return 'tool_error'
    case 'E_TOOL_INPUT':
      return 'invalid_arguments'
    case 'E_ABORTED':
    case 'E_TIMEOUT':
      return 'cancelled'
    default:
      return 'other'
  }
}

const metricsOn = perRegistry((registry) => new McpMetrics(registry))

/** The MCP metrics on `registry` (default: the process-wide metrics registry), created once. */
export function mcpMetrics(registry: Registry = getMetrics().registry): McpMetrics {
  return metricsOn(registry)
}
