import type { Application } from '../../foundation/application'
import { E_PRODUCTION_GUARD } from '../../errors'
import { eraseOwner, type ThreadPlace } from '../../memory/erase_owner'
import { parseOwner } from '../../memory/memory_owner'
import type { CommandHandler } from '../command'

/** Why the CLI cannot reach what a `memory` driver keeps. */
const IN_PROCESS = 'lives inside the server process (driver "memory"): the CLI cannot read or erase it'

/**
 * `langvel memory:forget <principal> [--force] [--json]`: erases the
 * principal's memories and episodes, the checkpoints of the threads it owns (in every
 * agent route's checkpointer) and the ownership records; prints the counts.
 *
 * A thread's ownership record is released only once its checkpoints are
 * confirmed deleted; otherwise it stays with the principal and is listed as
 * kept. Exits 1 when anything was kept, failed, or could not be reached
 * (MEMORY_STORE=memory, a `memory` checkpointer, no agent routes).
 */
const memoryForget: CommandHandler<{ force?: boolean; json?: boolean }> = async ({ app, args, options, output }) => {
  const owner = parseOwner(args[0] ?? '')
  if (app.isProduction && !options.force) throw new E_PRODUCTION_GUARD(`erase the data of ${owner}`)
  const manager = app.make('memory')
  const memoryInProcess = manager.defaultDriver === 'memory'
  if (memoryInProcess) output.warn(`The memories and episodes of ${owner} were NOT erased: MEMORY_STORE=memory ${IN_PROCESS}. Restart the server to drop them, or use MEMORY_STORE=postgres.`)
  const places = threadPlaces(app)
  const threads = app.bound('auth') ? app.make('auth').threads : undefined
  if (!threads) output.warn('Auth is not configured: no thread is recorded as anyone\'s, so no checkpoint was looked for.')
  else if (places.length === 0) output.warn(`No agent routes are registered: the checkpoints of ${owner}'s threads cannot be found, so their ownership records are kept (the threads stay unreachable to others).`)
  const erased = await eraseOwner(owner, { memory: memoryInProcess ? undefined : manager, threads, places })
  const counts = { memories: erased.memories, episodes: erased.episodes, threads: erased.threads.length, checkpoints: erased.checkpoints, ownership_records: erased.ownershipRecords }
  if (options.json) output.json({ principal: owner, ...counts, thread_ids: erased.threads, kept: erased.kept.map((k) => ({ thread_id: k.threadId, reason: k.reason })), failures: erased.failures.map((f) => ({ step: f.step, thread_id: f.threadId, message: f.message })), complete: erased.complete })
  const memories = erased.memories === null ? 'memories NOT erased' : `${erased.memories} memories`
  const episodes = erased.episodes === null ? 'episodes NOT erased' : `${erased.episodes} episodes`
  const summary = `${owner}: ${memories}, ${episodes}, ${counts.threads} threads (${counts.checkpoints} checkpoints), ${counts.ownership_records} ownership records`
  for (const thread of erased.kept) output.warn(`Thread ${thread.threadId} kept owned by ${owner}: ${thread.reason}`)
  for (const failure of erased.failures) output.error(`${failure.step}${failure.threadId ? ` (thread ${failure.threadId})` : ''} failed: ${failure.message}`)
  if (!erased.complete) {
    output.warn(`Erased only in part: ${summary}. Fix what is listed and run memory:forget again.`)
    return 1
  }
  if (erased.memories === 0 && erased.episodes === 0 && erased.threads.length === 0) {
    output.warn(`Nothing was found for ${owner}: check the principal (type it in full, e.g. user:<id>).`)
  }
  output.success(`Erased ${summary}`)
}

/** Where each agent route keeps its threads; a route naming no checkpointer uses the default. */
function threadPlaces(app: Application): ThreadPlace[] {
  if (!app.bound('agents')) return []
  const checkpointers = app.make('checkpointer')
  return app
    .make('agents')
    .routes()
    .map((route) => {
      const driver = route.checkpointer === 'default' ? checkpointers.defaultDriver : route.checkpointer
      const namespace = route.threadNamespace ?? route.path
      if (driver === 'memory') return { namespace, unreachable: `its checkpointer ${IN_PROCESS}` }
      return { saver: checkpointers.use(driver), namespace }
    })
}

export default memoryForget
