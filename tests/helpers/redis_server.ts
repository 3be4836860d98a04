import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from '../../framework/support/processes'

const REDIS_SERVER = process.env.TEST_REDIS_SERVER ?? '/usr/bin/redis-server'

/** Every server any test started, killed when the test process exits even if a suite forgot. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * A throwaway `redis-server` of the test's own (no persistence) on a spare
 * port, which the test can kill, pause and start again on the same port to
 * see what the application does while Redis is gone and after it returns.
 *
 * @example
 * const redis = await RedisServer.start()
 * afterAll(() => redis.stop())
 * await redis.kill()      // Redis is down
 * await redis.restart()   // back, empty, on the same port
 */
export class RedisServer {
  private child?: ChildProcess

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort())
    await server.restart()
    return server
  }

  get running(): boolean {
    return this.child !== undefined
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts the server (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running')
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    this.child = child
    child.once('exit', () => {
      running.delete(child)
      if (this.child === child) this.child = undefined
    })
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData)
          child.stdout?.resume()
          resolve()
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.resume()
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-500)}`)))
    })
  }

  /** Kills the server at once (no clean shutdown); resolves once it has exited. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await exited
  }

  /** Freezes the server: connections stay open and nothing is answered, like a hung host. */
  pause(): void {
    this.child?.kill('SIGSTOP')
  }

  resume(): void {
    this.child?.kill('SIGCONT')
  }

  /** For afterAll: kills the server if it still runs (a paused one too). */
  stop(): Promise<void> {
    return this.kill()
  }
}
