import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readCpuSeconds } from './cpu'
import { terminate, type Stoppable } from './process_guard'
import { readProcessMemory, type ProcessMemory } from './rss'

export interface ServerSpec {
  /** Shown in errors: "langvel", "baseline". */
  name: string
  /** Arguments to `node` (script first). */
  args: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  /** stdout and stderr go here: the request log must not be read through a pipe by the load generator. */
  logFile: string
  readyTimeoutMs?: number
}

/** The URL a server prints when it listens; both servers bind to loopback only. */
const READY_URL = /https?:\/\/127\.0\.0\.1:\d+/

/**
 * A server under test, run as its own `node` process. It is ready once it
 * has printed its loopback URL; its output goes to a file (not a pipe the
 * benchmark would have to drain on its own CPU budget). The pid is the
 * server's own, so /proc/<pid>/status is the server's memory.
 *
 * @example
 * const server = guard.adopt(await ServerProcess.start({ name: 'baseline', args: ['bench/baseline_server.js'], env, cwd, logFile }))
 * server.url // http://127.0.0.1:41234
 * await server.stop()
 */
export class ServerProcess implements Stoppable {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  get pid(): number {
    return this.child.pid as number
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Spawns the server and resolves with its URL; rejects (with the log's tail) if it exits or stays silent. */
  static async start(spec: ServerSpec, adopt: (child: Stoppable) => void): Promise<ServerProcess> {
    const log = openSync(spec.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', log, log] })
    } finally {
      closeSync(log)
    }
    // Adopted before it is ready: a Ctrl-C during start-up must stop it too.
    const pending: Stoppable = { stop: () => terminate(child, 5000), kill: () => child.kill('SIGKILL') }
    adopt(pending)
    const url = await waitForUrl(spec, child)
    return new ServerProcess(spec.name, url, child, spec.logFile)
  }

  memory(): ProcessMemory | undefined {
    return this.running ? readProcessMemory(this.pid) : undefined
  }

  /** CPU seconds used so far (user + system). */
  cpuSeconds(): number | undefined {
    return this.running ? readCpuSeconds(this.pid) : undefined
  }

  stop(): Promise<void> {
    return terminate(this.child, 10_000)
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL')
  }

  /** The last lines the server wrote, for error messages. */
  tail(lines = 20): string {
    return tailOf(this.logFile, lines)
  }
}

function waitForUrl(spec: ServerSpec, child: ChildProcess): Promise<string> {
  const timeoutMs = spec.readyTimeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const fail = (reason: string) => {
      clearInterval(poll)
      child.off('exit', onExit)
      reject(new Error(`${spec.name} server ${reason}. Last output (${spec.logFile}):\n${tailOf(spec.logFile, 20)}`))
    }
    const onExit = (code: number | null, signal: string | null) => fail(`exited before it was ready (code ${code}, signal ${signal})`)
    child.once('exit', onExit)
    child.once('error', (error) => fail(`could not start: ${error.message}`))
    const poll = setInterval(() => {
      const url = existsSync(spec.logFile) ? READY_URL.exec(readFileSync(spec.logFile, 'utf8'))?.[0] : undefined
      if (url) {
        clearInterval(poll)
        child.off('exit', onExit)
        resolve(url)
      } else if (Date.now() - started > timeoutMs) {
        child.kill('SIGKILL')
        fail(`printed no URL within ${timeoutMs / 1000} s`)
      }
    }, 100)
  })
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no output)'
  }
}
