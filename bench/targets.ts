/** Which server process answers a target. */
export type ServerKind = 'baseline' | 'langvel'

/** The checkpointer and durability a persistence target runs with, for the persistence table. */
export interface PersistenceSetting {
  checkpointer: 'memory' | 'sqlite' | 'postgres'
  /** `default`: AGENT_DURABILITY left to the project default; `exit`: AGENT_DURABILITY=exit. */
  durability: 'default' | 'exit'
}

/**
 * One thing the load generator drives: a server, a path and the request it
 * sends. Header values may contain `{{token}}`, replaced by a JWT minted with
 * `langvel auth:token bench --permissions '*'` before the run.
 */
export interface BenchTarget {
  name: string
  server: ServerKind
  method: 'POST' | 'GET'
  path: string
  headers?: Record<string, string>
  body?: unknown
  /** Text a correct response contains; checked once before load, so a 404 is never benchmarked. */
  expect: string
  /**
   * Skipped with a note (not an error) when the server answers 404 for the
   * path: a route another part of the application may not register yet.
   */
  optional?: boolean
  /** Langvel environment of this target's server; wins over `--env`, so the target is what its name says. */
  env?: Record<string, string>
  /** The server needs a PostgreSQL database of its own: the harness creates one and sets DATABASE_URL. */
  postgres?: boolean
  /**
   * The server exports traces: the harness starts a local OTLP/HTTP receiver
   * for it and sets OTEL_EXPORTER_OTLP_ENDPOINT, and the report shows the
   * spans that arrived.
   */
  otlp?: boolean
  persistence?: PersistenceSetting
  description: string
}

/** A throughput ratio the run reports against its target (never asserted). */
export interface BenchComparison {
  name: string
  /** measured / reference throughput, both from the same run. */
  measured: string
  reference: string
  /** The ratio to reach, e.g. 0.9. */
  target: number
}

const ECHO_BODY = { input: { query: 'benchmark' } }
const ECHO_EXPECT = 'Processed: benchmark'

const CHECKPOINTER_NAMES: Record<PersistenceSetting['checkpointer'], string> = { memory: 'memory', sqlite: 'SQLite', postgres: 'PostgreSQL' }

/** `POST /agents/echo` on one checkpointer and durability, on a server of its own. */
function persistenceTarget(checkpointer: PersistenceSetting['checkpointer'], durability: PersistenceSetting['durability']): BenchTarget {
  const env: Record<string, string> = { STATE_CHECKPOINTER: checkpointer }
  if (durability === 'exit') env.AGENT_DURABILITY = 'exit'
  return {
    name: `echo_${checkpointer}${durability === 'exit' ? '_exit' : ''}`,
    server: 'langvel',
    method: 'POST',
    path: '/agents/echo',
    body: ECHO_BODY,
    expect: ECHO_EXPECT,
    env,
    postgres: checkpointer === 'postgres',
    persistence: { checkpointer, durability },
    description: `echo on the ${CHECKPOINTER_NAMES[checkpointer]} checkpointer, ${durability === 'exit' ? 'AGENT_DURABILITY=exit' : 'default durability'}`,
  }
}

/**
 * The targets `npm run bench` knows. Add one here (name, server, path,
 * headers, body) and select it with `--targets`.
 */
export const TARGETS: readonly BenchTarget[] = [
  {
    name: 'baseline',
    server: 'baseline',
    method: 'POST',
    path: '/agents/echo',
    body: ECHO_BODY,
    expect: ECHO_EXPECT,
    description: 'bare Express + express.json() invoking the same compiled echo graph',
  },
  {
    name: 'echo',
    server: 'langvel',
    method: 'POST',
    path: '/agents/echo',
    body: ECHO_BODY,
    expect: ECHO_EXPECT,
    description: 'langvel serve: request ids, JSON request log, metrics, security headers, limits',
  },
  {
    name: 'secure_echo',
    server: 'langvel',
    method: 'POST',
    // /secure/echo allows 5 runs a minute; /secure/echo-bulk is the same auth + throttle stack on the configured limit.
    path: '/agents/secure/echo-bulk',
    headers: { authorization: 'Bearer {{token}}' },
    body: ECHO_BODY,
    expect: ECHO_EXPECT,
    optional: true,
    description: 'the echo agent behind auth (JWT) and throttle (Redis driver)',
  },
  {
    name: 'echo_tracing',
    server: 'langvel',
    method: 'POST',
    path: '/agents/echo',
    body: ECHO_BODY,
    expect: ECHO_EXPECT,
    otlp: true,
    description: 'echo with OpenTelemetry tracing on, exporting every span to a local OTLP/HTTP receiver',
  },
  {
    name: 'echo_sdk',
    server: 'langvel',
    method: 'POST',
    // What @langchain/langgraph-sdk's `client.runs.wait(null, 'echo', { input })` sends (bench/tests/sdk_request.test.ts checks it).
    path: '/runs/wait',
    body: { input: ECHO_BODY.input, assistant_id: 'echo' },
    expect: ECHO_EXPECT,
    description: 'the echo assistant through the LangGraph protocol: a thread-less runs.wait',
  },
  persistenceTarget('memory', 'default'),
  persistenceTarget('memory', 'exit'),
  persistenceTarget('sqlite', 'default'),
  persistenceTarget('sqlite', 'exit'),
  persistenceTarget('postgres', 'default'),
  persistenceTarget('postgres', 'exit'),
]

/** Names `--targets` accepts for several targets at once. */
export const PRESETS: Readonly<Record<string, readonly string[]>> = {
  stack: ['baseline', 'echo', 'secure_echo'],
  persistence: ['echo_memory', 'echo_memory_exit', 'echo_sqlite', 'echo_sqlite_exit', 'echo_postgres', 'echo_postgres_exit'],
  /** Tracing on against off (echo); the baseline shows what the off side costs against the bare graph. */
  tracing: ['baseline', 'echo', 'echo_tracing'],
  /** The LangGraph protocol's runs.wait against the native agent route. */
  sdk: ['echo', 'echo_sdk'],
}

export const COMPARISONS: readonly BenchComparison[] = [
  { name: 'full stack / baseline', measured: 'echo', reference: 'baseline', target: 0.9 },
  { name: 'secure_echo / echo', measured: 'secure_echo', reference: 'echo', target: 0.85 },
  { name: 'tracing on / off (echo_tracing / echo)', measured: 'echo_tracing', reference: 'echo', target: 0.9 },
  { name: 'runs.wait / native (echo_sdk / echo)', measured: 'echo_sdk', reference: 'echo', target: 0.9 },
]

/** Expands presets (`stack`, `persistence`, `tracing`, `sdk`) into target names, keeping the first occurrence of each. */
export function expandTargetNames(names: readonly string[]): string[] {
  const expanded = names.flatMap((name) => PRESETS[name] ?? [name])
  return [...new Set(expanded)]
}

/** Targets by name (or preset), in the order given; unknown names are listed in the error. */
export function selectTargets(names: readonly string[]): BenchTarget[] {
  const expanded = expandTargetNames(names)
  const unknown = expanded.filter((name) => !TARGETS.some((target) => target.name === name))
  if (unknown.length > 0) {
    throw new Error(
      `unknown target(s): ${unknown.join(', ')}; known: ${TARGETS.map((target) => target.name).join(', ')}; presets: ${Object.keys(PRESETS).join(', ')}`,
    )
  }
  return expanded.map((name) => TARGETS.find((target) => target.name === name) as BenchTarget)
}

/** Whether any of the targets needs a minted token. */
export function needsToken(targets: readonly BenchTarget[]): boolean {
  return targets.some((target) => Object.values(target.headers ?? {}).some((value) => value.includes('{{token}}')))
}

/** Replaces `{{token}}` in header values. */
export function resolveHeaders(target: BenchTarget, values: { token?: string }): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(target.headers ?? {})) {
    if (value.includes('{{token}}') && !values.token) throw new Error(`target ${target.name} needs a token, but none was minted`)
    headers[name] = value.replaceAll('{{token}}', values.token ?? '')
  }
  return headers
}
