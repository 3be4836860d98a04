import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readCpuSeconds } from './harness/cpu'
import { median, summarizeLatencies, type LatencySummary } from './harness/percentiles'
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

/** Jiffies of all cores since boot, from /proc/stat's first line: busy (everything but idle and iowait) and total. */
export interface MachineCpu {
  busy: number
  total: number
}

/**
 * The machine's CPU counters (Linux); undefined without /proc. Two readings
 * give how busy all cores were in between, whoever used them (PostgreSQL,
 * Redis, this process, other work on the machine).
 *
 * @example
 * const before = readMachineCpu()
 * // ...
 * machineBusyPercent(before, readMachineCpu()) // 87.5
 */
export function readMachineCpu(): MachineCpu | undefined {
  try {
    return parseMachineCpu(readFileSync('/proc/stat', 'utf8'))
  } catch {
    return undefined
  }
}

export function parseMachineCpu(stat: string): MachineCpu | undefined {
  const match = /^cpu +([\d ]+)$/m.exec(stat)
  if (!match) return undefined
  const fields = match[1].trim().split(/ +/).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0)
  return { busy: total - fields[3] - (fields[4] ?? 0), total }
}

/** Percentage of all cores busy between two readings; null when either is missing. */
export function machineBusyPercent(before: MachineCpu | undefined, after: MachineCpu | undefined): number | null {
  if (!before || !after || after.total <= before.total) return null
  return Math.round(((after.busy - before.busy) / (after.total - before.total)) * 1000) / 10
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
  }
}

export interface RssFigures {
  /** Idle, just before the first run was dispatched. */
  startMb: number
  /**
   * Medians of the readings of the run's second and last quarters (by time):
   * a garbage-collected heap saws up and down, so single readings compare
   * badly; warm (the first runs loaded code and filled caches) against late.
   */
  secondQuarterMedianMb: number
  lastQuarterMedianMb: number
  peakMb: number
  /** After the last run ended. */
  endMb: number
  samples: number
  /** [seconds since the first enqueue, MB] */
  series: Array<[number, number]>
}

/**
 * Idle, warm, late, peak and end of one worker's RSS readings; null without any.
 *
 * @example
 * summarizeRss(trace.stop(), firstEnqueueAt)?.lastQuarterMedianMb
 */
export function summarizeRss(samples: readonly RssSample[], firstEnqueueAt: number): RssFigures | null {
  if (samples.length === 0) return null
  const before = samples.filter(([at]) => at <= firstEnqueueAt)
  const start = before.length > 0 ? before[before.length - 1] : samples[0]
  const end = samples[samples.length - 1][0]
  const quarterMedian = (from: number, to: number) => {
    const span = end - firstEnqueueAt
    const within = samples.filter(([at]) => at >= firstEnqueueAt + span * from && at <= firstEnqueueAt + span * to)
    return toMb(median(within.map(([, rss]) => rss)))
  }
  return {
    startMb: toMb(start[1]),
    secondQuarterMedianMb: quarterMedian(0.25, 0.5),
    lastQuarterMedianMb: quarterMedian(0.75, 1),
    peakMb: toMb(Math.max(...samples.map(([, rss]) => rss))),
    endMb: toMb(samples[samples.length - 1][1]),
    samples: samples.length,
    series: samples.map(([at, rss]) => [Math.round((at - firstEnqueueAt) / 10) / 100, toMb(rss)]),
  }
}
