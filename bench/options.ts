import { parseArgs } from 'node:util'
import { expandTargetNames, PRESETS } from './targets'

/** `tracing` and `sdk` are load benchmarks of their preset's targets. */
export type BenchKind = 'load' | 'memory' | 'tracing' | 'sdk'

export interface BenchOptions {
  kind: BenchKind
  /** bench/results/<name>.json */
  name: string
  targets: string[]
  connections: number
  /** Load: measured seconds per target and round. */
  duration: number
  /** Load: warm-up seconds before each measured drive. */
  warmup: number
  /** Load: how many times the targets are driven in turn. */
  rounds: number
  /** Load: one server process per target for all rounds, instead of fresh processes every round. */
  keepServers: boolean
  /** Memory: requests measured after the warm-up. */
  requests: number
  /** Memory: requests sent before the first RSS reading. */
  warmupRequests: number
  /** Environment overrides for the Langvel server. */
  env: Record<string, string>
  /** PostgreSQL server the postgres targets get scratch databases on (any database of it; the bench connects to create and drop them). */
  postgresUrl: string
  /** Build and measure this commit instead of the working tree. */
  ref?: string
  /** Run the servers under `node --cpu-prof`; profiles land in bench/results/<name>-profiles/. */
  profile: boolean
  help: boolean
}

export const USAGE = `Usage: npm run bench -- [load|memory|tracing|sdk] [options]

  load (default)         drive each target for --duration seconds after a warm-up; compare throughput
  memory                 send --requests requests to one target; report RSS after warm-up and at the end
  tracing                load on the tracing preset: echo with tracing on (to a local OTLP receiver) against off
  sdk                    load on the sdk preset: the LangGraph protocol's POST /runs/wait against POST /agents/echo
  rag | bus | team       in-process benchmarks with their own options (npm run bench -- bus --help)
  queue                  background runs through queue:work workers, its own options (npm run bench -- queue --help)

  --name <name>          result file bench/results/<name>.json (default: <kind>-<timestamp>)
  --targets <a,b,...>    targets or presets; load default: stack,persistence; memory default: echo; tracing, sdk: their preset
                         stack = baseline,echo,secure_echo (secure_echo skipped when not routed)
                         persistence = echo_memory,echo_memory_exit,echo_sqlite,echo_sqlite_exit,echo_postgres,echo_postgres_exit
                         tracing = baseline,echo,echo_tracing; sdk = echo,echo_sdk
  --connections <n>      concurrent connections (default 100)
  --duration <s>         load: measured seconds per target and round (default 5)
  --warmup <s>           load: warm-up seconds on the same connections before each measured drive (default 4)
  --rounds <n>           load: drive the targets in turn n times, each round on freshly started servers;
                         figures merge the rounds (default 3)
  --keep-servers         load: start the servers once and drive the same processes in every round
  --requests <n>         memory: measured requests (default 50000)
  --warmup-requests <n>  memory: requests before the first RSS reading (default 5000)
  --ref <commit>         build and measure a commit (git archive) instead of the working tree
  --profile              run the servers with node --cpu-prof; profiles in bench/results/<name>-profiles/
  --env KEY=VALUE        override the Langvel server's environment (repeatable), e.g. --env STATE_CHECKPOINTER=sqlite;
                         a target's own settings (echo_sqlite's STATE_CHECKPOINTER...) win
  --postgres <url>       PostgreSQL server for the postgres targets' scratch databases
                         (default postgres://postgres@127.0.0.1:5432/postgres; targets skipped when unreachable)
  -h, --help             this text
`

const DEFAULT_TARGETS: Record<BenchKind, string[]> = {
  load: [...PRESETS.stack, ...PRESETS.persistence],
  memory: ['echo'],
  tracing: [...PRESETS.tracing],
  sdk: [...PRESETS.sdk],
}

const KINDS = Object.keys(DEFAULT_TARGETS) as BenchKind[]

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

/**
 * Parses `npm run bench -- ...` arguments; throws with the offending flag
 * named, so a typo never silently benchmarks the defaults.
 *
 * @example
 * parseBenchArgs(['memory', '--requests', '60000']).requests // 60000
 */
export function parseBenchArgs(argv: string[], now = new Date()): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      targets: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      'warmup-requests': { type: 'string' },
      env: { type: 'string', multiple: true },
      postgres: { type: 'string' },
      ref: { type: 'string' },
      profile: { type: 'boolean' },
      'keep-servers': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (positionals.length > 1) throw new Error(`expected at most one benchmark kind, got: ${positionals.join(' ')}`)
  const kind = (positionals[0] ?? 'load') as BenchKind
  if (!KINDS.includes(kind)) throw new Error(`unknown benchmark "${kind}": expected one of ${KINDS.join(', ')} (or rag, bus, team, queue)`)

  const name = resultName(values.name, kind, now)

  const targets = expandTargetNames(values.targets === undefined ? DEFAULT_TARGETS[kind] : values.targets.split(',').map((target) => target.trim()).filter(Boolean))
  if (targets.length === 0) throw new Error('--targets: name at least one target')
  if (kind === 'memory' && targets.length !== 1) throw new Error('--targets: the memory benchmark drives exactly one target')

  return {
    kind,
    name,
    targets,
    connections: integer('--connections', values.connections, 100, 1, 10_000),
    duration: integer('--duration', values.duration, 5, 1, 3600),
    warmup: integer('--warmup', values.warmup, 4, 0, 600),
    rounds: integer('--rounds', values.rounds, 3, 1, 100),
    keepServers: values['keep-servers'] ?? false,
    requests: integer('--requests', values.requests, 50_000, 1, 100_000_000),
    warmupRequests: integer('--warmup-requests', values['warmup-requests'], 5000, 0, 100_000_000),
    env: parseEnv(values.env ?? []),
    postgresUrl: postgresUrl(values.postgres),
    ref: gitRef(values.ref),
    profile: values.profile ?? false,
    help: values.help ?? false,
  }
}

/** A whole-number flag from `min` to `max` (`fallback` when absent); throws naming the flag. */
export function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) throw new Error(`${flag} ${JSON.stringify(value)}: expected an integer between ${min} and ${max}`)
  return number
}

function gitRef(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!/^[A-Za-z0-9_./~^@{}][A-Za-z0-9_./~^@{}-]*$/.test(value)) throw new Error(`--ref ${JSON.stringify(value)}: expected a commit, branch or tag`)
  return value
}

function postgresUrl(value: string | undefined): string {
  if (value === undefined) return DEFAULT_POSTGRES_URL
  if (!/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value)) throw new Error(`--postgres ${JSON.stringify(value)}: expected postgres://user@host:port/database`)
  return value
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of pairs) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(pair)
    if (!match) throw new Error(`--env ${JSON.stringify(pair)}: expected KEY=VALUE`)
    env[match[1]] = match[2]
  }
  return env
}

/** The result file's name: `--name`, checked, or `<kind>-<timestamp>`. */
export function resultName(given: string | undefined, kind: string, now: Date): string {
  const name = given ?? `${kind}-${now.toISOString().replace(/[:.]/g, '-')}`
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`--name ${JSON.stringify(name)}: use letters, digits, dot, dash and underscore`)
  return name
}
