import { authProvider } from '../auth/auth_provider'
import { busProvider } from '../bus/bus_provider'
import type { Provider } from '../contracts/provider'
import { checkpointerProvider } from '../checkpointer/checkpointer_provider'
import { databaseProvider } from '../database/database_provider'
import { middlewareProvider } from '../http/middleware_provider'
import { llmProvider } from '../llm/llm_provider'
import { mcpProvider } from '../mcp/mcp_provider'
import { memoryProvider } from '../memory/memory_provider'
import { queueProvider } from '../queue/queue_provider'
import { ragProvider } from '../rag/rag_provider'
import { rateLimiterProvider } from '../rate_limiter/rate_limiter_provider'
import { redisProvider } from '../redis/redis_provider'
import { runEventsProvider } from '../run_events/run_events_provider'
import { agentsProvider } from '../routing/agents_provider'
import { tracingProvider } from '../tracing/tracing_provider'
import { tracingBackendsProvider } from '../tracing/tracing_backends_provider'
import { webhooksProvider } from '../webhooks/webhooks_provider'

/**
 * The framework's providers, in boot order (shutdown runs in reverse, so
 * auth flushes API key usage before the database and Redis close, and the
 * bus drains its handlers before Redis closes; the run queue, last, lets held
 * runs finish while agents, checkpointers and the database are still up). Tracing boots first and
 * shuts down last, so the spans of everything else's shutdown are flushed.
 * They only bind factories, so booting costs nothing until a service is used.
 */
export function defaultProviders(): Provider[] {
  return [tracingProvider, tracingBackendsProvider, databaseProvider, redisProvider, authProvider, rateLimiterProvider, checkpointerProvider, llmProvider, ragProvider, memoryProvider, mcpProvider, busProvider, runEventsProvider, webhooksProvider, middlewareProvider, agentsProvider, queueProvider]
}
