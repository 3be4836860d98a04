import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { E_RUNTIME } from '../errors'
import type { Logger } from '../logger'
import { sleep } from '../support/backoff'
import { within } from '../support/deadlines'
import { freePort, processAlive } from '../support/processes'

export interface LocalChromaOptions {
  /** Where Chroma keeps its data (RAG_STORAGE_PATH, absolute). */
  path: string
  /** Default: a free port on 127.0.0.1. */
  port?: number
  /** Longest wait for the first heartbeat (default 20 s). */
  startTimeoutMs?: number
  /** Longest wait for a clean exit before SIGKILL (default 5 s). */
  stopTimeoutMs?: number
  /** Default: the `chroma` binary chromadb installs in node_modules/.bin. */
  binary?: string
  logger?: Logger
}

/** Lines of the server's output kept to explain a failed start. */
const KEPT_LINES = 40
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP']

/** Every managed server of this process, stopped however the process ends. */
const running = new Set<ChildProcess>()
/** The discovery files of those servers, removed with them. */
const announced = new Map<ChildProcess, string>()

/** Where a managed server tells other processes using the same data folder that it is there. */
const DISCOVERY_FILE = '.langvel-chroma.json'

function forget(child: ChildProcess): void {
  const file = announced.get(child)
  announced.delete(child)
  if (!file) return
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid === child.pid) unlinkSync(file)
  } catch {
    // Already gone, or taken over by a newer server.
  }
}
let hooksInstalled = false

function installExitHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  // The backstop: whatever path leads to exit, no server outlives us.
  process.on('exit', () => {
    for (const child of running) {
      child.kill('SIGTERM')
      forget(child)
    }
  })
  for (const signal of SIGNALS) {
    const onSignal = () => {
      // Someone else handles the signal (`langvel serve` drains first, then shuts the app down, which stops us):
      // stopping the server now would fail the requests being drained.
      if (process.listenerCount(signal) > 1) return
      for (const child of running) child.kill('SIGTERM')
      // Our listener replaced Node's default (exit on the signal): restore it and deliver the signal again.
      for (const other of SIGNALS) process.removeListener(other, handlers.get(other) as () => void)
      process.kill(process.pid, signal)
    }
    handlers.set(signal, onSignal)
    process.on(signal, onSignal)
  }
}
const handlers = new Map<NodeJS.Signals, () => void>()

/** The `chroma` binary chromadb ships, found from the package itself so any working directory works. */
export function chromaBinary(): string {
  // require.resolve('chromadb') is <node_modules>/chromadb/dist/cjs/chromadb.cjs.
  return join(dirname(require.resolve('chromadb')), '..', '..', '..', '.bin', 'chroma')
}

/**
 * A Chroma server this process runs for itself (development and tests, when
 * CHROMA_URL is empty): `chroma run --path <RAG_STORAGE_PATH>` on 127.0.0.1
 * and a free port, spawned directly (a wrapper such as npx would outlive a
 * kill). Started on first use, ready once it answers its heartbeat, its
 * output read continuously (a full pipe would stall it) and kept for error
 * messages, and stopped when the process ends: by `stop()` at application
 * shutdown, on SIGTERM/SIGINT/SIGHUP when nothing else handles them, and
 * at exit as a backstop.
 *
 * @example
 * const chroma = new LocalChroma({ path: app.path('storage/chroma'), logger })
 * const url = await chroma.start() // http://127.0.0.1:<port>
 * await chroma.stop()
 */
export class LocalChroma {
  private child?: ChildProcess
  private starting?: Promise<string>
  private address?: string
  private adopted?: string
  private readonly output: string[] = []

  constructor(private readonly options: LocalChromaOptions) {}

  /** The URL once started. */
  get url(): string | undefined {
    return this.address
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.address !== undefined
  }

  /**
   * Starts the server (once; concurrent callers share the start) and resolves
   * with its URL. Another process's managed server on the same data folder
   * (`langvel serve` while `rag:ingest` runs) is used instead of a second
   * one, which would not see the first one's writes.
   */
  start(): Promise<string> {
    this.starting ??= this.adoptOrLaunch().catch((error: unknown) => {
      this.starting = undefined
      throw error
    })
    return this.starting
  }

  /** True when the server in use is another process's. */
  get shared(): boolean {
    return this.adopted !== undefined
  }

  private async adoptOrLaunch(): Promise<string> {
    const file = join(this.options.path, DISCOVERY_FILE)
    let found: { pid?: unknown; url?: unknown } | undefined
    try {
      found = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; url?: unknown }
    } catch {
      found = undefined
    }
    if (found && typeof found.pid === 'number' && typeof found.url === 'string' && found.pid !== process.pid && processAlive(found.pid) && (await answers(found.url))) {
      this.adopted = found.url
      this.address = found.url
      // Asked again only after a call failed: the owner may have stopped it since.
      this.starting = undefined
      this.options.logger?.info('using the managed Chroma of another process on the same data', { url: found.url, pid: found.pid })
      return found.url
    }
    this.adopted = undefined
    const url = await this.launch()
    const child = this.child as ChildProcess
    writeFileSync(file, JSON.stringify({ pid: child.pid, url }))
    announced.set(child, file)
    return url
  }

  /** Stops the server: SIGTERM, then SIGKILL if it has not exited in time. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child
    this.starting = undefined
    this.address = undefined
    this.adopted = undefined
    if (!child) return
    this.child = undefined
    forget(child)
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    if (!(await within(exited, this.options.stopTimeoutMs ?? 5000))) {
      this.options.logger?.warn('managed Chroma did not stop in time; killing it', { pid: child.pid })
      child.kill('SIGKILL')
      await exited
    }
  }

  private async launch(): Promise<string> {
    const { path, logger } = this.options
    mkdirSync(path, { recursive: true })
    const port = this.options.port ?? (await freePort())
    const binary = this.options.binary ?? chromaBinary()
    // Its own process group: a terminal's Ctrl-C reaches us, and we stop it after draining, not before.
    const child = spawn(binary, ['run', '--path', path, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    installExitHooks()
    running.add(child)
    this.child = child
    this.output.length = 0
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue
        this.output.push(line)
        if (this.output.length > KEPT_LINES) this.output.shift()
        logger?.debug('chroma', { line })
      }
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    let failure: Error | undefined
    child.once('error', (error) => {
      failure = error
    })
    child.once('exit', (code, signal) => {
      running.delete(child)
      forget(child)
      if (this.child !== child) return
      // Stopped by someone else, or crashed: the next use starts it again.
      this.child = undefined
      this.address = undefined
      this.starting = undefined
      logger?.warn('managed Chroma exited', { code, signal })
    })

    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000)
    while (!(await answers(url))) {
      const exited = child.exitCode !== null || child.signalCode !== null
      if (failure || exited || Date.now() > deadline) {
        if (!exited) child.kill('SIGKILL')
        running.delete(child)
        if (this.child === child) this.child = undefined
        const reason = failure?.message ?? (exited ? `it exited (${child.exitCode ?? child.signalCode})` : 'it did not answer in time')
        throw new E_RUNTIME(`The managed Chroma server did not start: ${reason}\n${this.output.slice(-10).join('\n')}`, {
          help: 'Set CHROMA_URL to a running Chroma server, or check RAG_STORAGE_PATH is writable.',
        })
      }
      await sleep(100)
    }
    this.address = url
    logger?.info('managed Chroma started', { url, path, pid: child.pid })
    return url
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) })
    return response.ok
  } catch {
    return false
  }
}
