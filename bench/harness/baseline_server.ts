import { join } from 'node:path'
import type { Stoppable } from './process_guard'
import { ServerProcess } from './server_process'

/**
 * Starts bench/baseline_server.js (bare Express + the same compiled echo
 * graph, loaded from `codeRoot`, the output of `langvel build`) on a free
 * loopback port.
 *
 * @example
 * const baseline = await startBaseline({ root, codeRoot: built.codeRoot, scratch, adopt: (c) => guard.adopt(c) })
 */
export function startBaseline(options: { root: string; codeRoot: string; scratch: string; nodeArgs?: string[]; adopt: (child: Stoppable) => void }): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' }
  return ServerProcess.start(
    {
      name: 'baseline',
      args: [...(options.nodeArgs ?? []), join(options.root, 'bench', 'baseline_server.js'), '--code-root', options.codeRoot, '--port', '0'],
      env,
      cwd: options.root,
      logFile: join(options.scratch, 'baseline.log'),
    },
    options.adopt,
  )
}
