import { join } from 'node:path'
import type { Stoppable } from './process_guard'
import { runNode } from './run_node'
import { ServerProcess } from './server_process'

export interface LangvelServerOptions {
  /** The compiled CLI, `<build>/bin/langvel.js`. */
  cli: string
  /** Scratch folder: LANGVEL_BASE_PATH (.env, storage/) and the server log. */
  scratch: string
  /** Overrides of the benchmark environment (`--env KEY=VALUE`, then the target's own settings). */
  env: Record<string, string>
  /** Flags for the server's `node` (e.g. --cpu-prof). */
  nodeArgs?: string[]
  adopt: (child: Stoppable) => void
}

export interface StartedLangvel {
  server: ServerProcess
  /** The Langvel keys the server ran with (secrets masked), for the result file. */
  settings: Record<string, string>
  /** `langvel auth:token bench --permissions '*'` under the server's own environment. */
  mintToken(): Promise<string>
}

/** 48 characters: above the 32-byte minimum, obviously not a real secret. */
const BENCH_JWT_SECRET = 'langvel-benchmark-secret-not-for-production-0048'

/** Only these reach the server from the caller's environment, so a stray DATABASE_URL or APP_ENV cannot change what is measured. */
const PASS_THROUGH = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']

/**
 * The environment `langvel serve` is benchmarked under: production settings
 * (JSON logs at info, debug off, migrations applied explicitly), the memory
 * checkpointer so the figure is the HTTP stack rather than SQLite, Redis
 * db 15 under a per-run key prefix for the rate limiter and revocation
 * store, and a rate limit high enough never to answer 429 during a run.
 * Production refuses to boot an app whose agents search a vector store
 * without CHROMA_URL (the example's /customer-support does); no measured
 * route searches, so it names an address nothing is asked at.
 */
export function benchEnvironment(scratch: string, overrides: Record<string, string>): Record<string, string> {
  return {
    APP_ENV: 'production',
    NODE_ENV: 'production',
    DEBUG: 'false',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    STATE_CHECKPOINTER: 'memory',
    JWT_SECRET_KEY: BENCH_JWT_SECRET,
    LANGVEL_BASE_PATH: scratch,
    REDIS_URL: 'redis://127.0.0.1:6379/15',
    REDIS_PREFIX: `langvel-bench:${process.pid}:`,
    RATE_LIMIT_DRIVER: 'redis',
    AUTH_STORE: 'redis',
    RATE_LIMIT_REQUESTS: '1000000',
    CHROMA_URL: 'http://127.0.0.1:9',
    NO_COLOR: '1',
    ...overrides,
  }
}

/**
 * Starts `node build/bin/langvel.js serve --host 127.0.0.1 --port 0` (the
 * compiled server) in a scratch project folder: applies the migrations first
 * (`migrate --force`, as a production deployment would; production refuses
 * to start with pending ones), then waits for the server's URL.
 *
 * @example
 * const { server, mintToken } = await startLangvel({ cli: built.cli, scratch, env: {}, adopt: (c) => guard.adopt(c) })
 */
export async function startLangvel(options: LangvelServerOptions): Promise<StartedLangvel> {
  const settings = benchEnvironment(options.scratch, options.env)
  const env: NodeJS.ProcessEnv = { ...settings }
  for (const key of PASS_THROUGH) if (process.env[key] !== undefined) env[key] = process.env[key]
  const { cli } = options
  const run = { cwd: options.scratch, env, adopt: options.adopt }

  await runNode([cli, 'migrate', '--force'], run)
  const server = await ServerProcess.start(
    { name: 'langvel', args: [...(options.nodeArgs ?? []), cli, 'serve', '--host', '127.0.0.1', '--port', '0'], env, cwd: options.scratch, logFile: join(options.scratch, 'langvel.log') },
    options.adopt,
  )
  return {
    server,
    settings: maskSettings(settings),
    mintToken: async () => (await runNode([cli, 'auth:token', 'bench', '--permissions', '*', '--ttl', '1h'], run)).trim(),
  }
}

/** The settings as the result file shows them: the JWT secret replaced, passwords in URLs hidden. */
export function maskSettings(settings: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {}
  for (const [key, value] of Object.entries(settings)) {
    masked[key] = key === 'JWT_SECRET_KEY' ? '(48-character benchmark value)' : value.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/, '$1:***@')
  }
  return masked
}
