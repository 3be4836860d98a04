import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { resolveTracingBackendsEnv, tracingBackendsProblems } from '../framework/tracing/backends_config'

/**
 * LangSmith and Langfuse, LangChain's own tracing backends, beside (and
 * independent of) the OpenTelemetry tracing of config/tracing.ts.
 *
 * LangSmith traces every agent run when LANGSMITH_TRACING=true; with only an
 * API key set, it traces the routes declared with `.trace('langsmith')`.
 * Langfuse traces every run once both its keys are set, or only the routes
 * declared with `.trace('langfuse')` when LANGFUSE_TRACING=routes. See
 * docs/observability.md.
 */
export default defineConfig({
  env: {
    /** `true`: every agent run is traced to LangSmith. Needs LANGSMITH_API_KEY. */
    LANGSMITH_TRACING: env.optionalString(),
    /** Other names of LANGSMITH_TRACING; any one true turns LangSmith on for every route, as LangChain itself reads them. */
    LANGSMITH_TRACING_V2: env.optionalString(),
    LANGCHAIN_TRACING_V2: env.optionalString(),
    LANGCHAIN_TRACING: env.optionalString(),
    LANGSMITH_API_KEY: env.optionalString(),
    /** Defaults to https://api.smith.langchain.com (set it for the EU region or a self-hosted LangSmith). */
    LANGSMITH_ENDPOINT: env.optionalString(),
    /** The LangSmith project runs go to; `default` when unset. */
    LANGSMITH_PROJECT: env.optionalString(),
    /** Older names of LANGSMITH_API_KEY, LANGSMITH_ENDPOINT and LANGSMITH_PROJECT, used when the newer one is unset. */
    LANGCHAIN_API_KEY: env.optionalString(),
    LANGCHAIN_ENDPOINT: env.optionalString(),
    LANGCHAIN_PROJECT: env.optionalString(),
    /** `all` (the default once both keys are set), `routes` (only routes declared with `.trace('langfuse')`) or `off`. */
    LANGFUSE_TRACING: env.optionalString(),
    LANGFUSE_PUBLIC_KEY: env.optionalString(),
    LANGFUSE_SECRET_KEY: env.optionalString(),
    /** Defaults to https://cloud.langfuse.com. */
    LANGFUSE_BASEURL: env.optionalString(),
    /** The name newer Langfuse SDKs use; LANGFUSE_BASEURL wins when both are set. */
    LANGFUSE_BASE_URL: env.optionalString(),
    /** Bound of one export request to LangSmith or Langfuse, and of their flush at shutdown. */
    TRACING_BACKENDS_TIMEOUT_MS: env.integer(10_000, 100, 600_000),
    /** Most Langfuse spans held while Langfuse is slow or down; beyond it spans are dropped and counted. */
    TRACING_BACKENDS_MAX_QUEUE_SIZE: env.integer(2048, 1, 1_000_000),
  },
  secrets: ['LANGSMITH_API_KEY', 'LANGCHAIN_API_KEY', 'LANGFUSE_SECRET_KEY'],
  resolve: (e) => resolveTracingBackendsEnv(e),
  check: (config) => tracingBackendsProblems(config),
})
