import type { ConfigProblem } from '../config/define_config'
import type { TracingBackendName } from './tracing_metrics'
import { FALSE, isHttpUrl, TRUE } from './tracing_config'

/** Which runs a backend traces: every run, only routes that ask with `.trace(...)`, or none. */
export type BackendScope = 'all' | 'routes' | 'off'

export interface LangSmithConfig {
  scope: BackendScope
  apiKey?: string
  endpoint: string
  project: string
}

export interface LangfuseConfig {
  scope: BackendScope
  publicKey?: string
  secretKey?: string
  baseUrl: string
}

/** config/tracing_backends.ts, resolved. */
export interface TracingBackendsConfig {
  langsmith: LangSmithConfig
  langfuse: LangfuseConfig
  /** Bound of one export request and of the flush at shutdown. */
  timeoutMs: number
  /** Most trace items a backend holds while its backend is slow or down (spans for Langfuse; LangSmith bounds its queue in bytes). */
  maxQueueSize: number
}

/** The raw variables config/tracing_backends.ts reads (unset when empty). */
export interface TracingBackendsEnv {
  LANGSMITH_TRACING?: string
  LANGSMITH_TRACING_V2?: string
  LANGCHAIN_TRACING_V2?: string
  LANGCHAIN_TRACING?: string
  LANGSMITH_API_KEY?: string
  LANGSMITH_ENDPOINT?: string
  LANGSMITH_PROJECT?: string
  /** Older names of LANGSMITH_API_KEY, LANGSMITH_ENDPOINT, LANGSMITH_PROJECT: used when the newer one is unset. */
  LANGCHAIN_API_KEY?: string
  LANGCHAIN_ENDPOINT?: string
  LANGCHAIN_PROJECT?: string
  LANGFUSE_TRACING?: string
  LANGFUSE_PUBLIC_KEY?: string
  LANGFUSE_SECRET_KEY?: string
  LANGFUSE_BASEURL?: string
  LANGFUSE_BASE_URL?: string
  /** Validated by the config file's schema. */
  TRACING_BACKENDS_TIMEOUT_MS: number
  TRACING_BACKENDS_MAX_QUEUE_SIZE: number
}

export const BACKENDS: readonly TracingBackendName[] = ['langsmith', 'langfuse']

/** The variables with which LangChain turns its own LangSmith tracer on for every run (any one exactly `true`). */
export const LANGCHAIN_TRACING_SWITCHES = ['LANGSMITH_TRACING', 'LANGSMITH_TRACING_V2', 'LANGCHAIN_TRACING_V2', 'LANGCHAIN_TRACING'] as const

/**
 * The LangChain tracing switch that is `true` in the process environment
 * (which LangChain reads itself) while Langvel does not trace every run to
 * LangSmith: LangChain then traces, with its own tracer, the runs Langvel
 * leaves alone. Undefined when there is no such conflict.
 */
export function langchainTracingConflict(config: TracingBackendsConfig, processEnv: Record<string, string | undefined> = process.env): string | undefined {
  if (config.langsmith.scope === 'all') return undefined
  return LANGCHAIN_TRACING_SWITCHES.find((key) => processEnv[key] === 'true')
}

const SCOPES: readonly string[] = ['all', 'routes', 'off']

const problemsOf = new WeakMap<TracingBackendsConfig, ConfigProblem[]>()

/** The problems found while reading the environment (errors fail the boot). */
export function tracingBackendsProblems(config: TracingBackendsConfig): ConfigProblem[] {
  return problemsOf.get(config) ?? []
}

/**
 * Reads the LangSmith and Langfuse environment. LangSmith traces every run
 * when LANGSMITH_TRACING (or LANGSMITH_TRACING_V2, LANGCHAIN_TRACING_V2,
 * LANGCHAIN_TRACING: the switches LangChain reads) is true, and only the
 * routes that ask when none is but an API key is set. Langfuse
 * traces every run once both keys are set, unless LANGFUSE_TRACING says
 * `routes` or `off`.
 */
export function resolveTracingBackendsEnv(given: TracingBackendsEnv): TracingBackendsConfig {
  // An empty value (`LANGSMITH_API_KEY=` in a .env file) is unset.
  const e = Object.fromEntries(Object.entries(given).filter(([, value]) => !(typeof value === 'string' && value.trim() === ''))) as TracingBackendsEnv
  const problems: ConfigProblem[] = []
  const error = (key: string, message: string) => problems.push({ key, message, severity: 'error' })

  // LangChain traces every run when any of its switches is true, so any one turns LangSmith on for every route.
  let langsmithGlobal = false
  let switchKey = 'LANGSMITH_TRACING'
  for (const key of LANGCHAIN_TRACING_SWITCHES) {
    const raw = e[key]?.trim().toLowerCase()
    if (raw === undefined) continue
    if (TRUE.includes(raw)) {
      if (!langsmithGlobal) switchKey = key
      langsmithGlobal = true
    } else if (!FALSE.includes(raw)) error(key, 'expected a boolean (true/false, 1/0, yes/no, on/off)')
  }
  // The LANGCHAIN_* names are the older ones LangChain still reads: each is used when its LANGSMITH_* name is unset.
  const apiKey = e.LANGSMITH_API_KEY ?? e.LANGCHAIN_API_KEY
  const endpointKey = e.LANGSMITH_ENDPOINT === undefined && e.LANGCHAIN_ENDPOINT !== undefined ? 'LANGCHAIN_ENDPOINT' : 'LANGSMITH_ENDPOINT'
  const langsmithEndpoint = (e.LANGSMITH_ENDPOINT ?? e.LANGCHAIN_ENDPOINT ?? 'https://api.smith.langchain.com').replace(/\/+$/, '')
  if (!isHttpUrl(langsmithEndpoint)) error(endpointKey, 'expected a URL with a scheme (http://... or https://...)')
  if (langsmithGlobal && !apiKey) error('LANGSMITH_API_KEY', `${switchKey} is on but no API key is set`)
  const langsmith: LangSmithConfig = {
    scope: !apiKey ? 'off' : langsmithGlobal ? 'all' : 'routes',
    apiKey,
    endpoint: langsmithEndpoint,
    project: e.LANGSMITH_PROJECT ?? e.LANGCHAIN_PROJECT ?? 'default',
  }

  const baseUrl = (e.LANGFUSE_BASEURL ?? e.LANGFUSE_BASE_URL ?? 'https://cloud.langfuse.com').replace(/\/+$/, '')
  const baseUrlKey = e.LANGFUSE_BASEURL !== undefined ? 'LANGFUSE_BASEURL' : 'LANGFUSE_BASE_URL'
  if (!isHttpUrl(baseUrl)) error(baseUrlKey, 'expected a URL with a scheme (http://... or https://...)')
  const keys = Boolean(e.LANGFUSE_PUBLIC_KEY) && Boolean(e.LANGFUSE_SECRET_KEY)
  if (!keys && (e.LANGFUSE_PUBLIC_KEY || e.LANGFUSE_SECRET_KEY)) {
    error(e.LANGFUSE_PUBLIC_KEY ? 'LANGFUSE_SECRET_KEY' : 'LANGFUSE_PUBLIC_KEY', 'Langfuse needs both LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY')
  }
  const rawScope = e.LANGFUSE_TRACING?.trim().toLowerCase()
  let langfuseScope: BackendScope = 'all'
  if (rawScope !== undefined) {
    if (SCOPES.includes(rawScope)) langfuseScope = rawScope as BackendScope
    else if (TRUE.includes(rawScope)) langfuseScope = 'all'
    else if (FALSE.includes(rawScope)) langfuseScope = 'off'
    else error('LANGFUSE_TRACING', 'expected all, routes or off')
  }
  const langfuse: LangfuseConfig = {
    scope: keys ? langfuseScope : 'off',
    publicKey: e.LANGFUSE_PUBLIC_KEY,
    secretKey: e.LANGFUSE_SECRET_KEY,
    baseUrl,
  }

  const config: TracingBackendsConfig = {
    langsmith,
    langfuse,
    timeoutMs: e.TRACING_BACKENDS_TIMEOUT_MS,
    maxQueueSize: e.TRACING_BACKENDS_MAX_QUEUE_SIZE,
  }
  problemsOf.set(config, problems)
  return config
}
