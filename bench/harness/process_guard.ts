import type { ChildProcess } from 'node:child_process'

/** Something the guard must end however the benchmark ends. */
export interface Stoppable {
  /** Graceful: signal, wait, then force. */
  stop(): Promise<void>
  /** Immediate and synchronous (SIGKILL): the only thing possible inside process.on('exit'). */
  kill(): void
}

type Cleanup = () => void | Promise<void>

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/**
 * Owns every child process and scratch resource of a benchmark run, so that
 * no server outlives the benchmark: on success, on an error, on Ctrl-C or
 * SIGTERM (children stopped gracefully, then killed) and, as a last resort,
 * on process exit (children SIGKILLed synchronously).
 *
 * @example
 * const guard = new ProcessGuard()
 * process.exitCode = await guard.run(async () => {
 *   const server = guard.adopt(await ServerProcess.start(spec))
 *   guard.defer(() => rmSync(scratch, { recursive: true, force: true }))
 *   return 0
 * })
 */
export class ProcessGuard {
  private readonly children = new Set<Stoppable>()
  private readonly cleanups: Cleanup[] = []
  private cleaning?: Promise<void>

  /** Registers a child; returns it for chaining. */
  adopt<T extends Stoppable>(child: T): T {
    this.children.add(child)
    return child
  }

  /** Forgets a child that has already been stopped. */
  release(child: Stoppable): void {
    this.children.delete(child)
  }

  /** Runs at the end, last registered first, after the children are stopped. */
  defer(cleanup: Cleanup): void {
    this.cleanups.push(cleanup)
  }

  /** Stops every child, then runs the deferred cleanups. Safe to call twice. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      await Promise.all([...this.children].map((child) => child.stop().catch(() => child.kill())))
      this.children.clear()
      for (const cleanup of this.cleanups.reverse()) {
        try {
          await cleanup()
        } catch (error) {
          process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`)
        }
      }
      this.cleanups.length = 0
    })()
    return this.cleaning
  }

  /**
   * Runs `main` with the signal and exit handlers installed, always cleans up,
   * and returns main's exit code (1 when it threw). A signal cleans up and
   * exits at once with 128 + the signal number.
   */
  async run(main: () => Promise<number>): Promise<number> {
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`\n${signal}: stopping the benchmark servers\n`)
      // A second signal while cleaning up means "now".
      if (this.cleaning) this.killAll()
      // Cleanup is bounded so a hung child cannot keep the benchmark alive.
      const deadline = setTimeout(() => this.killAll(), 10_000)
      void this.cleanup().finally(() => {
        clearTimeout(deadline)
        process.exit(SIGNAL_EXIT[signal] ?? 1)
      })
    }
    const onExit = () => this.killAll()
    const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]
    for (const signal of signals) process.on(signal, onSignal)
    process.on('exit', onExit)
    try {
      return await main()
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      return 1
    } finally {
      await this.cleanup()
      for (const signal of signals) process.off(signal, onSignal)
      process.off('exit', onExit)
    }
  }

  private killAll(): void {
    for (const child of this.children) child.kill()
  }
}

/**
 * Sends SIGTERM, waits up to `graceMs` for the exit, then SIGKILL. Resolves
 * once the child has exited.
 */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
