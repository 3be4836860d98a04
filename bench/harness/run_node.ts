import { spawn } from 'node:child_process'
import { terminate, type Stoppable } from './process_guard'

export interface RunNodeOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  timeoutMs?: number
  /** Registers the child with the guard so Ctrl-C stops it too. */
  adopt: (child: Stoppable) => void
}

/**
 * Runs `node <args>` to completion (a CLI command such as `langvel migrate
 * --force`) and resolves with its stdout; rejects with its output when it
 * fails or runs past the timeout.
 *
 * @example
 * const token = (await runNode(['bin/langvel', 'auth:token', 'bench'], { cwd, env, adopt })).trim()
 */
export function runNode(args: string[], options: RunNodeOptions): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  options.adopt({ stop: () => terminate(child, 2000), kill: () => child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timeoutMs = options.timeoutMs ?? 60_000
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve(stdout)
      const why = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, timeout ${timeoutMs / 1000} s` : ''})` : `exited with code ${code}`
      reject(new Error(`node ${args.join(' ')} ${why}:\n${(stderr || stdout).trim()}`))
    })
  })
}
