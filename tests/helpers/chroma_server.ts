import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromaBinary } from '../../framework/rag/local_chroma'
import { freePort } from '../../framework/support/processes'

/** Every server any test started, killed when the test process exits even if a suite forgot. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * A throwaway Chroma of the test's own (`node_modules/.bin/chroma run`, a
 * temporary --path, a spare port), which the test can kill and start again
 * on the same port and data to see what the store does while Chroma is
 * gone and after it returns. Chroma ships in node_modules, so these tests
 * never skip.
 *
 * @example
 * const chroma = await ChromaServer.start()
 * afterAll(() => chroma.stop())
 * await chroma.kill()     // Chroma is down
 * await chroma.restart()  // back on the same port, same data
 */
export class ChromaServer {
  private child?: ChildProcess
  private output = ''

  private constructor(
    readonly port: number,
    readonly path: string,
  ) {}

  static async start(): Promise<ChromaServer> {
    const server = new ChromaServer(await freePort(), mkdtempSync(join(tmpdir(), 'langvel-chroma-')))
    await server.restart()
    return server
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Starts the server (again) on its port and data; resolves once it answers its heartbeat. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('chroma is already running')
    const child = spawn(chromaBinary(), ['run', '--path', this.path, '--host', '127.0.0.1', '--port', String(this.port)], { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    this.child = child
    this.output = ''
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    let exited = false
    child.once('exit', () => {
      exited = true
      running.delete(child)
      if (this.child === child) this.child = undefined
    })
    const deadline = Date.now() + 20_000
    for (;;) {
      if (exited) throw new Error(`chroma exited before it was ready: ${this.output.slice(-1000)}`)
      if (Date.now() > deadline) throw new Error(`chroma did not answer within 20 s: ${this.output.slice(-1000)}`)
      try {
        const response = await fetch(`${this.url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) })
        if (response.ok) return
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Kills the server at once; resolves once it has exited. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await exited
  }

  /** For afterAll: kills the server and removes its data. */
  async stop(): Promise<void> {
    await this.kill()
    rmSync(this.path, { recursive: true, force: true })
  }
}

export { processAlive } from '../../framework/support/processes'
