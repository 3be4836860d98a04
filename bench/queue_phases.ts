import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readCpuSeconds } from './harness/cpu'
import { summarizeLatencies, type LatencySummary } from './harness/percentiles'
import { terminate, type Stoppable } from './harness/process_guard'
import { readProcessMemory, toMb } from './harness/rss'

/** What `queue:work` prints once its loop runs. */
const WORKING = 'working queue'

/**
 * One `langvel queue:work` process of the compiled build. Its output goes to
 * a file, not a pipe the bench would drain on its own CPU; the pid is the
 * worker's own, so /proc/<pid>/status is the worker's memory.
 *
 * @example
 * const worker = await WorkerProcess.start({ cli, args: ['--concurrency', '4'], env, cwd, logFile }, (child) => guard.adopt(child))
 * worker.memory()?.rss
 * await worker.stop()
 */
export class WorkerProcess implements Stoppable {
  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  get pid(): number {
    return this.child.pid as number
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Spawns `node <cli> queue:work ...args`; resolves once it works the queue, rejects (with its log's tail) if it exits or stays silent for 60 s. */
  static async start(spec: { cli: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string; logFile: string }, adopt: (child: Stoppable) => void): Promise<WorkerProcess> {
    const log = openSync(spec.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [spec.cli, 'queue:work', ...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', log, log] })
    } finally {
      closeSync(log)
    }
    const worker = new WorkerProcess(child, spec.logFile)
    // Adopted before it is ready: a Ctrl-C during start-up must stop it too.
    adopt(worker)
    await worker.ready(60_000)
    return worker
  }

  memory(): number | undefined {
    return this.running ? readProcessMemory(this.pid)?.rss : undefined
  }

  cpuSeconds(): number | undefined {
    return this.running ? readCpuSeconds(this.pid) : undefined
  }

  /** SIGTERM (the worker finishes what it holds and exits 0), SIGKILL after 15 s. */
  stop(): Promise<void> {
    return terminate(this.child, 15_000)
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL')
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } catch {
      return '(no output)'
    }
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now()
      const poll = setInterval(() => {
        if (existsSync(this.logFile) && readFileSync(this.logFile, 'utf8').includes(WORKING)) {
          clearInterval(poll)
          resolve()
        } else if (!this.running || Date.now() - started > timeoutMs) {
          clearInterval(poll)
          const why = this.running ? `printed "${WORKING}" not within ${timeoutMs / 1000} s` : `exited (code ${this.child.exitCode}, signal ${this.child.signalCode})`
          reject(new Error(`queue:work ${why}. Last output (${this.logFile}):\n${this.tail()}`))
        }
      }, 100)
    })
  }
}

/** RSS readings of one process: [epoch ms, bytes]. */
export type RssSample = [number, number]

/**
 * Reads a process's VmRSS every `everyMs` (synchronously: one small /proc
 * read) and keeps every reading, so a report can show the whole curve, not
 * only its peak.
 *
 * @example
 * const trace = new RssTrace(() => worker.memory(), 250).start()
 * // ... runs ...
 * const samples = trace.stop()
 */
export class RssTrace {
  readonly samples: RssSample[] = []
  private timer?: NodeJS.Timeout

  constructor(
    private readonly read: () => number | undefined,
    private readonly everyMs: number,
  ) {}

  start(): this {
    this.sample()
    this.timer = setInterval(() => this.sample(), this.everyMs)
    // A phase that throws before stop() must not keep the process alive.
    this.timer.unref()
    return this
  }

  sample(): void {
    const rss = this.read()
    if (rss !== undefined) this.samples.push([Date.now(), rss])
  }

  /** Stops after a last reading. */
  stop(): RssSample[] {
    clearInterval(this.timer)
    this.sample()
    return this.samples
  }
}

/** The columns of the runs table a phase reads back. */
export interface RunTimes {
  status: string
  attempts: number
  createdAt: number
  startedAt: number | null
  endedAt: number | null
}

export interface RunFigures {
  runs: number
  statuses: Record<string, number>
  /** Runs that took more than one attempt. */
  retried: number
  /** Ended runs per second, from the first enqueue to the last end. */
  runsPerSecond: number
  seconds: number
  /** started_at - created_at: time in the queue (the last attempt's start, for a retried run). */
  enqueueToStartMs: LatencySummary
  /** ended_at - started_at: the run itself, on the worker. */
  startToEndMs: LatencySummary
  /** When a quarter of the runs had ended (epoch ms): the "warm" RSS reading. */
  quarterEndedAt: number
}

/**
 * The figures of one phase from its rows of the runs table. `firstEnqueueAt`
 * is the bench's clock just before its first dispatch (the same machine's
 * clock the rows' epoch-ms timestamps come from).
 *
 * @example
 * summarizeRuns(rows, dispatchStartedAt).runsPerSecond
 */
export function summarizeRuns(rows: readonly RunTimes[], firstEnqueueAt: number): RunFigures {
  const statuses: Record<string, number> = {}
  for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1
  const ended = rows.flatMap((row) => (row.endedAt === null ? [] : [row.endedAt])).sort((a, b) => a - b)
  const started = rows.filter((row): row is RunTimes & { startedAt: number } => row.startedAt !== null)
  const lastEnd = ended.length > 0 ? ended[ended.length - 1] : firstEnqueueAt
  const seconds = Math.max(0, lastEnd - firstEnqueueAt) / 1000
  return {
    runs: rows.length,
    statuses,
    retried: rows.filter((row) => row.attempts > 1).length,
    runsPerSecond: seconds > 0 ? Math.round((ended.length / seconds) * 10) / 10 : 0,
    seconds: Math.round(seconds * 100) / 100,
    enqueueToStartMs: summarizeLatencies(started.map((row) => row.startedAt - row.createdAt)),
    startToEndMs: summarizeLatencies(started.flatMap((row) => (row.endedAt === null ? [] : [row.endedAt - row.startedAt]))),
    quarterEndedAt: ended.length > 0 ? ended[Math.floor(ended.length / 4)] : lastEnd,
  }
}

export interface RssFigures {
  /** Idle, just before the first run was dispatched. */
  startMb: number
  /** When a quarter of the runs had ended: after the warm-up of the first runs. */
  quarterMb: number
  peakMb: number
  /** After the last run ended. */
  endMb: number
  samples: number
  /** [seconds since the first enqueue, MB] */
  series: Array<[number, number]>
}

/**
 * Start, warm, peak and end of one worker's RSS readings; null without any.
 *
 * @example
 * summarizeRss(trace.stop(), firstEnqueueAt, figures.quarterEndedAt)?.peakMb
 */
export function summarizeRss(samples: readonly RssSample[], firstEnqueueAt: number, quarterAt: number): RssFigures | null {
  if (samples.length === 0) return null
  const before = samples.filter(([at]) => at <= firstEnqueueAt)
  const start = before.length > 0 ? before[before.length - 1] : samples[0]
  const quarter = samples.find(([at]) => at >= quarterAt) ?? samples[samples.length - 1]
  return {
    startMb: toMb(start[1]),
    quarterMb: toMb(quarter[1]),
    peakMb: toMb(Math.max(...samples.map(([, rss]) => rss))),
    endMb: toMb(samples[samples.length - 1][1]),
    samples: samples.length,
    series: samples.map(([at, rss]) => [Math.round((at - firstEnqueueAt) / 10) / 100, toMb(rss)]),
  }
}
