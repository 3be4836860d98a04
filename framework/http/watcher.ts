import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, watch, type FSWatcher } from 'node:fs'
import type { Logger } from '../logger'

export interface WatchOptions {
  /** Folders whose changes restart the server (app/, config/, routes/). */
  directories: string[]
  /** Arguments for `node` that start the server without --watch. */
  args: string[]
  logger: Logger
  debounceMs?: number
  /** Set in the child, so it knows it is the watched process. */
  env?: Record<string, string>
}

/**
 * `langvel serve --watch`: runs the server as a child process and restarts it
 * when a file under the watched folders changes. Changes are debounced (an
 * editor saving several files restarts once) and the old server drains
 * (SIGTERM) before the new one starts, so the port is free. A child that
 * crashes is restarted on the next change. Resolves with the exit code when
 * this process is told to stop.
 *
 * @example
 * await runWithWatch({ directories: ['app', 'config', 'routes'], args: [bin, 'serve'], logger })
 */
export function runWithWatch(options: WatchOptions): Promise<number> {
  const { logger } = options
  const debounceMs = options.debounceMs ?? 300
  let child: ChildProcess | undefined
  let timer: NodeJS.Timeout | undefined
  let stopping = false
  let restarting = false

  const start = () => {
    child = spawn(process.execPath, options.args, { stdio: 'inherit', env: { ...process.env, ...options.env } })
    child.once('exit', (code, signal) => {
      child = undefined
      if (stopping) return
      if (restarting) {
        restarting = false
        start()
      } else {
        logger.warn('server exited; waiting for a change to restart it', { code, signal })
      }
    })
  }

  const restart = (file: string) => {
    logger.info('change detected; restarting', { file })
    if (child) {
      restarting = true
      child.kill('SIGTERM')
    } else {
      start()
    }
  }

  const watchers: FSWatcher[] = options.directories.filter((directory) => existsSync(directory)).map((directory) =>
    watch(directory, { recursive: true }, (_event, file) => {
      if (!file || /(^|[\\/])\.|~$|\.swp$/.test(String(file))) return
      clearTimeout(timer)
      timer = setTimeout(() => restart(String(file)), debounceMs)
    }),
  )

  return new Promise<number>((resolve) => {
    const stop = () => {
      if (stopping) return
      stopping = true
      clearTimeout(timer)
      for (const watcher of watchers) watcher.close()
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      if (!child) return resolve(0)
      child.once('exit', () => resolve(0))
      child.kill('SIGTERM')
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    start()
  })
}
