import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Registry } from 'prom-client'
import type { Output } from '../framework/console/output'
import { DatabaseManager } from '../framework/database/database_manager'
import { BullmqQueue } from '../framework/queue/bullmq_queue'
import { queueMetrics } from '../framework/queue/queue_metrics'
import { QUEUE_DEFAULTS } from '../framework/queue/queue_options'
import { RunService } from '../framework/queue/run_service'
import { FINAL_RUN_STATUSES, RunStore } from '../framework/queue/run_store'
import { buildProject, type BuiltProject } from './harness/build_project'
import { benchEnvironment, maskSettings } from './harness/langvel_server'
import { describeMachine } from './harness/machine'
import { createScratchDatabase, postgresReachable } from './harness/postgres_database'
import { ProcessGuard, type Stoppable } from './harness/process_guard'
import { deleteRedisKeys } from './harness/redis_cleanup'
import { runNode } from './harness/run_node'
import { writeResult } from './harness/write_result'
import { DEFAULT_POSTGRES_URL, integer, resultName } from './options'
import { machineBusyPercent, readMachineCpu, RssTrace, summarizeRss, summarizeRuns, WorkerProcess, type RssFigures, type RunFigures, type RunTimes } from './queue_phases'

export const QUEUE_USAGE = `Usage: npm run bench -- queue [options]

  Builds the project with langvel build, then for each worker count starts
  that many \`queue:work\` processes of the compiled build (QUEUE_DRIVER=bullmq
  on the local Redis, the runs table on a scratch PostgreSQL database),
  dispatches --runs background runs of the /echo route from this process with
  RunService.dispatch, and reports runs/s (first enqueue to last end), the
  enqueue-to-start latency from the runs table, the workers' CPU per run and
  their RSS (read every 250 ms: idle, medians of the run's second and last
  quarters, peak, end). Nothing is asserted.

  --runs <n>             background runs per worker count (default 2000)
  --workers <a,b,...>    worker counts, one phase each, in this order (default 1,2)
  --concurrency <n>      runs each worker executes at once, queue:work --concurrency (default ${QUEUE_DEFAULTS.concurrency})
  --dispatchers <n>      dispatch calls this process keeps in flight (default 16)
  --rate <runs/s>        dispatch at most this many runs a second, so the queue does not back up and
                         enqueue→start is the pick-up time; 0 dispatches as fast as possible (default 0)
  --checkpointer <c>     the workers' STATE_CHECKPOINTER: postgres or memory (default postgres)
  --postgres <url>       PostgreSQL server for the scratch databases (default ${DEFAULT_POSTGRES_URL})
  --redis <url>          Redis for the queue (default redis://127.0.0.1:6379/15); keys under a prefix of the run, deleted after
  --name <name>          result file bench/results/<name>.json (default: queue-<timestamp>)
  --json                 print the result document instead of tables (status lines on stderr)
  -h, --help             this text
`

export interface QueueBenchOptions {
  name: string
  runs: number
  workers: number[]
  concurrency: number
  dispatchers: number
  /** Runs dispatched per second at most; 0: as fast as possible. */
  rate: number
  checkpointer: 'postgres' | 'memory'
  postgresUrl: string
  redisUrl: string
  json: boolean
  help: boolean
}

export const DEFAULT_QUEUE_REDIS_URL = 'redis://127.0.0.1:6379/15'
/** Every worker's RSS is read this often. */
const RSS_EVERY_MS = 250
/** A phase in which no run ends for this long has a broken worker: it fails with the workers' logs. */
const STALL_MS = 60_000
/** Only these reach the workers from the caller's environment, so a stray DATABASE_URL or APP_ENV cannot change what is measured. */
const PASS_THROUGH = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']

/**
 * Parses `npm run bench -- queue ...` arguments (without `queue`); throws
 * with the offending flag named.
 *
 * @example
 * parseQueueBenchArgs(['--runs', '500', '--workers', '1,2,4']).workers // [1, 2, 4]
 */
export function parseQueueBenchArgs(argv: string[], now = new Date()): QueueBenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      runs: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      dispatchers: { type: 'string' },
      rate: { type: 'string' },
      checkpointer: { type: 'string' },
      postgres: { type: 'string' },
      redis: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals.join(' ')}`)
  const workers = (values.workers ?? '1,2').split(',').map((count) => integer('--workers', count.trim(), 0, 1, 64))
  if (new Set(workers).size !== workers.length) throw new Error(`--workers ${JSON.stringify(values.workers)}: name each worker count once`)
  const checkpointer = values.checkpointer ?? 'postgres'
  if (checkpointer !== 'postgres' && checkpointer !== 'memory') throw new Error(`--checkpointer ${JSON.stringify(checkpointer)}: expected postgres or memory`)
  const postgresUrl = values.postgres ?? DEFAULT_POSTGRES_URL
  if (!/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(postgresUrl)) throw new Error(`--postgres ${JSON.stringify(postgresUrl)}: expected postgres://user@host:port/database`)
  const redisUrl = values.redis ?? DEFAULT_QUEUE_REDIS_URL
  if (!/^rediss?:\/\/[^/]+/.test(redisUrl)) throw new Error(`--redis ${JSON.stringify(redisUrl)}: expected redis://host:port/db`)
  return {
    name: resultName(values.name, 'queue', now),
    runs: integer('--runs', values.runs, 2000, 1, 1_000_000),
    workers,
    concurrency: integer('--concurrency', values.concurrency, QUEUE_DEFAULTS.concurrency, 1, 1000),
    dispatchers: integer('--dispatchers', values.dispatchers, 16, 1, 1000),
    rate: integer('--rate', values.rate, 0, 0, 100_000),
    checkpointer,
    postgresUrl,
    redisUrl,
    json: values.json ?? false,
    help: values.help ?? false,
  }
}

export interface WorkerFigures {
  pid: number
  /** CPU seconds (user + system) the worker used from the first enqueue to the last end. */
  cpuSeconds: number
  rss: RssFigures | null
}

export interface PhaseResult extends RunFigures {
  workers: number
  /** Runs recorded and enqueued per second, by this process. */
  dispatchedPerSecond: number
  /** All workers' CPU time per run. */
  workerCpuMsPerRun: number
  /** How busy all the machine's cores were from the first enqueue to the last end (workers, PostgreSQL, Redis, this process, anything else). */
  machineBusyPercent: number | null
  perWorker: WorkerFigures[]
}

interface PhaseContext {
  options: QueueBenchOptions
  build: BuiltProject
  guard: ProcessGuard
  scratch: string
  /** REDIS_PREFIX of the run: every key the bench and its workers write is under it. */
  prefix: string
  log: (text: string) => void
}

/**
 * `npm run bench -- queue`: one phase per worker count, each on a scratch
 * database and a queue of its own; prints tables (or the JSON with --json)
 * and writes bench/results/<name>.json. Resolves with the exit code: 0 when
 * the run completed, 1 on an error, 2 on bad arguments.
 *
 * @example
 * await runQueueBench(['--runs', '500', '--workers', '2'], { root, output })
 */
export async function runQueueBench(argv: string[], context: { root: string; output: Output }): Promise<number> {
  let options: QueueBenchOptions
  try {
    options = parseQueueBenchArgs(argv)
  } catch (error) {
    context.output.error(error instanceof Error ? error.message : String(error))
    process.stderr.write(`\n${QUEUE_USAGE}`)
    return 2
  }
  if (options.help) {
    context.output.line(QUEUE_USAGE)
    return 0
  }
  const output = options.json ? context.output.forJson() : context.output
  const guard = new ProcessGuard()
  return guard.run(async () => {
    const reachable = await postgresReachable(options.postgresUrl)
    if (!reachable.ok) throw new Error(`PostgreSQL at ${maskSettings({ url: options.postgresUrl }).url} is not reachable (${reachable.reason}); see --postgres`)
    const startedAt = new Date().toISOString()
    const machine = describeMachine()
    const scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-queue-'))
    guard.defer(() => rmSync(scratch, { recursive: true, force: true }))
    const prefix = `langvel-bench-queue:${process.pid}-${randomUUID().slice(0, 8)}:`
    guard.defer(async () => {
      const cleanup = await deleteRedisKeys(options.redisUrl, prefix)
      if ('error' in cleanup) output.warn(`could not delete the run's Redis keys (${prefix}*): ${cleanup.error}`)
    })
    output.info('building a copy of the working tree with langvel build (the workers run the compiled JavaScript)')
    const build = await buildProject({ root: context.root, folder: join(scratch, 'project'), adopt: (child) => void guard.adopt(child) })
    output.info(`built in ${build.seconds} s: ${build.cli}`)

    const phases: PhaseResult[] = []
    for (const workers of options.workers) {
      output.info(`${workers} worker${workers === 1 ? '' : 's'} x concurrency ${options.concurrency}: ${options.runs} runs of /echo${options.rate > 0 ? ` at ${options.rate} a second` : ''}...`)
      phases.push(await runPhase(workers, { options, build, guard, scratch, prefix, log: (text) => output.info(text) }))
    }
    const { json: _json, help: _help, ...settings } = options
    const result = {
      kind: 'queue',
      name: options.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
      build: { source: build.source, runs: 'node build/bin/langvel.js queue:work (compiled by langvel build)' },
      settings: { ...settings, route: '/echo', driver: 'bullmq', rssEveryMs: RSS_EVERY_MS, postgresUrl: maskSettings({ url: options.postgresUrl }).url },
      phases,
    }
    const file = writeResult(context.root, options.name, result)
    if (options.json) output.json(result)
    else printResult(output, phases, options)
    for (const phase of phases) {
      const failed = phase.runs - (phase.statuses.success ?? 0)
      if (failed > 0) output.warn(`${phase.workers} worker(s): ${failed} run(s) did not end in success: ${JSON.stringify(phase.statuses)}`)
    }
    output.success(`wrote ${file}`)
    return 0
  })
}

/** The workers' environment: the serve benchmarks' production settings, the queue on bullmq, this phase's database. */
function workerEnvironment(context: PhaseContext, databaseUrl: string, queueName: string): NodeJS.ProcessEnv {
  const { options, scratch, prefix } = context
  const env: NodeJS.ProcessEnv = benchEnvironment(scratch, {
    DATABASE_URL: databaseUrl,
    STATE_CHECKPOINTER: options.checkpointer,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: prefix,
    QUEUE_DRIVER: 'bullmq',
    // Runs append their events for readers on any instance, as in production.
    RUN_EVENTS_DRIVER: 'redis',
    QUEUE_NAME: queueName,
    QUEUE_CONCURRENCY: String(options.concurrency),
  })
  for (const key of PASS_THROUGH) if (process.env[key] !== undefined) env[key] = process.env[key]
  return env
}

async function runPhase(workers: number, context: PhaseContext): Promise<PhaseResult> {
  const { options, build, guard, scratch, log } = context
  const adopt = (child: Stoppable) => void guard.adopt(child)
  const database = await createScratchDatabase(options.postgresUrl, `langvel_bench_queue_${process.pid}_${workers}w`)
  guard.defer(() => database.drop())
  const queueName = `bench-${workers}w`
  const env = workerEnvironment(context, database.url, queueName)
  await runNode([build.cli, 'migrate', '--force'], { cwd: scratch, env, adopt })

  const db = new DatabaseManager({ url: database.url, basePath: scratch, pool: { min: 0, max: options.dispatchers + 1 } })
  // The same queue as the workers' (REDIS_PREFIX + queue:, QUEUE_NAME), with the default job options they were configured with.
  const queue = new BullmqQueue({ url: options.redisUrl, prefix: context.prefix, name: queueName, metrics: queueMetrics(new Registry()) })
  const store = new RunStore(() => db.connection())
  const runs = new RunService({
    store,
    queue,
    runner: () => {
      throw new Error('the bench process only dispatches')
    },
  })
  const processes: WorkerProcess[] = []
  try {
    const args = ['--concurrency', String(options.concurrency)]
    processes.push(...(await Promise.all(Array.from({ length: workers }, (_, index) => WorkerProcess.start({ cli: build.cli, args, env, cwd: scratch, logFile: join(scratch, `worker-${workers}w-${index + 1}.log`) }, adopt)))))
    await waitFor(async () => (await queue.workers()) === workers, `${workers} worker(s) to consume the queue`, 30_000, processes)

    const traces = processes.map((worker) => new RssTrace(() => worker.memory(), RSS_EVERY_MS).start())
    const cpuBefore = processes.map((worker) => worker.cpuSeconds() ?? 0)
    const machineBefore = readMachineCpu()
    const firstEnqueueAt = Date.now()
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(options.dispatchers, options.runs) }, async () => {
        while (next < options.runs) {
          const index = next++
          // Paced: run `index` goes out at its own time, whatever the others are doing.
          const wait = options.rate > 0 ? firstEnqueueAt + (index * 1000) / options.rate - Date.now() : 0
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
          await runs.dispatch({ route: '/echo', input: { query: `benchmark ${index}` } })
        }
      }),
    )
    const dispatchSeconds = (Date.now() - firstEnqueueAt) / 1000
    log(`dispatched ${options.runs} runs in ${dispatchSeconds.toFixed(1)} s; waiting for the last to end...`)
    await waitForRuns(store, options.runs, processes)
    const cpuSeconds = processes.map((worker, index) => (worker.cpuSeconds() ?? cpuBefore[index]) - cpuBefore[index])
    const machineBusy = machineBusyPercent(machineBefore, readMachineCpu())
    const samples = traces.map((trace) => trace.stop())

    const rows = (await db.connection()('runs').select('status', 'attempts', 'created_at', 'started_at', 'ended_at')) as Array<Record<string, string | number | null>>
    const figures = summarizeRuns(rows.map(toRunTimes), firstEnqueueAt)
    const cpuTotal = cpuSeconds.reduce((sum, seconds) => sum + seconds, 0)
    log(`${figures.runsPerSecond} runs/s, enqueue to start p50 ${figures.enqueueToStartMs.p50} ms, p99 ${figures.enqueueToStartMs.p99} ms`)
    return {
      workers,
      ...figures,
      dispatchedPerSecond: Math.round((options.runs / dispatchSeconds) * 10) / 10,
      workerCpuMsPerRun: Math.round(((cpuTotal * 1000) / options.runs) * 100) / 100,
      machineBusyPercent: machineBusy,
      perWorker: processes.map((worker, index) => ({ pid: worker.pid, cpuSeconds: Math.round(cpuSeconds[index] * 100) / 100, rss: summarizeRss(samples[index], firstEnqueueAt) })),
    }
  } finally {
    // SIGTERM: each worker finishes what it holds and exits 0.
    await Promise.all(processes.map((worker) => worker.stop()))
    for (const worker of processes) guard.release(worker)
    await queue.close(0)
    await db.close()
    await database.drop()
  }
}

function toRunTimes(row: Record<string, string | number | null>): RunTimes {
  const time = (value: string | number | null) => (value === null ? null : Number(value))
  return { status: String(row.status), attempts: Number(row.attempts), createdAt: Number(row.created_at), startedAt: time(row.started_at), endedAt: time(row.ended_at) }
}

/** Until every run of the phase ended; fails when a worker exits or no run ends for STALL_MS. */
async function waitForRuns(store: RunStore, total: number, processes: WorkerProcess[]): Promise<void> {
  let ended = -1
  let progressAt = Date.now()
  await waitFor(
    async () => {
      const counts = await store.countByStatus()
      const now = FINAL_RUN_STATUSES.reduce((sum, status) => sum + counts[status], 0)
      if (now !== ended) {
        ended = now
        progressAt = Date.now()
      } else if (Date.now() - progressAt > STALL_MS) {
        throw new Error(`no run ended for ${STALL_MS / 1000} s (${ended} of ${total} ended: ${JSON.stringify(counts)}). Workers' last output:\n${processes.map((worker) => worker.tail()).join('\n')}`)
      }
      return now >= total
    },
    `${total} runs to end`,
    Number.POSITIVE_INFINITY,
    processes,
  )
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs: number, processes: WorkerProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    const dead = processes.find((worker) => !worker.running)
    if (dead) throw new Error(`worker ${dead.pid} exited while waiting for ${what}. Its last output:\n${dead.tail()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function printResult(output: Output, phases: PhaseResult[], options: QueueBenchOptions): void {
  output.line()
  output.table(
    [`${options.runs} runs of /echo, concurrency ${options.concurrency}${options.rate > 0 ? `, ${options.rate} dispatched/s` : ''}`, 'runs/s', 'seconds', 'dispatched/s', 'enqueue→start p50 / p99 ms', 'start→end p50 / p99 ms', 'worker CPU ms/run', 'machine CPU busy', 'statuses'],
    phases.map((phase) => [
      `${phase.workers} worker${phase.workers === 1 ? '' : 's'}`,
      phase.runsPerSecond,
      phase.seconds,
      phase.dispatchedPerSecond,
      `${phase.enqueueToStartMs.p50} / ${phase.enqueueToStartMs.p99}`,
      `${phase.startToEndMs.p50} / ${phase.startToEndMs.p99}`,
      phase.workerCpuMsPerRun,
      phase.machineBusyPercent === null ? '-' : `${phase.machineBusyPercent}%`,
      Object.entries(phase.statuses)
        .map(([status, count]) => `${status} ${count}`)
        .join(', '),
    ]),
  )
  output.line()
  output.table(
    ['worker', 'RSS MB idle', 'median 2nd quarter', 'median last quarter', 'peak', 'end', 'readings', 'CPU s'],
    phases.flatMap((phase) =>
      phase.perWorker.map((worker, index) => [
        `${phase.workers}w #${index + 1} (pid ${worker.pid})`,
        ...(worker.rss ? [worker.rss.startMb, worker.rss.secondQuarterMedianMb, worker.rss.lastQuarterMedianMb, worker.rss.peakMb, worker.rss.endMb] : ['-', '-', '-', '-', '-']),
        worker.rss?.samples ?? 0,
        worker.cpuSeconds,
      ]),
    ),
  )
}
