import type { Application } from '../../foundation/application'
import { E_PRODUCTION_GUARD } from '../../errors'
import { eraseOwner, type ThreadPlace } from '../../memory/erase_owner'
import { parseOwner } from '../../memory/memory_owner'
import type { CommandHandler } from '../command'

/**
 * `langvel memory:forget <principal> [--force] [--json]`: erases the
 * principal's memories, the checkpoints of the threads it owns (in every
 * agent route's checkpointer) and the ownership records; prints the counts.
 */
const memoryForget: CommandHandler<{ force?: boolean; json?: boolean }> = async ({ app, args, options, output }) => {
  const owner = parseOwner(args[0] ?? '')
  if (app.isProduction && !options.force) throw new E_PRODUCTION_GUARD(`erase the data of ${owner}`)
  const erased = await eraseOwner(owner, {
    memory: app.make('memory'),
    threads: app.bound('auth') ? app.make('auth').threads : undefined,
    places: threadPlaces(app),
  })
  const counts = { memories: erased.memories, threads: erased.threads.length, checkpoints: erased.checkpoints, ownership_records: erased.ownershipRecords }
  if (options.json) output.json({ principal: owner, ...counts, thread_ids: erased.threads })
  output.success(`Erased ${owner}: ${counts.memories} memories, ${counts.threads} threads (${counts.checkpoints} checkpoints), ${counts.ownership_records} ownership records`)
}

/** Where each agent route keeps its threads; a route naming no checkpointer uses the default. */
function threadPlaces(app: Application): ThreadPlace[] {
  if (!app.bound('agents')) return []
  const checkpointers = app.make('checkpointer')
  return app
    .make('agents')
    .routes()
    .map((route) => ({
      saver: checkpointers.use(route.checkpointer === 'default' ? undefined : route.checkpointer),
      namespace: route.threadNamespace ?? route.path,
    }))
}

export default memoryForget
