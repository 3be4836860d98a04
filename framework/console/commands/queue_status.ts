import { RUN_STATUSES } from '../../queue/run_store'
import type { CommandHandler } from '../command'
import { runsFor, type QueueCommandOptions } from './queue_shared'

/** `langvel queue:status [--queue name] [--json]`: runs per status, jobs per state, workers alive. */
const queueStatus: CommandHandler<QueueCommandOptions> = async ({ app, options, output }) => {
  const runs = runsFor(app, { queue: options.queue })
  const [statuses, jobs, workers] = await Promise.all([runs.store.countByStatus(), runs.queue.counts(), runs.queue.workers()])
  if (options.json) {
    output.json({ queue: runs.queue.name, driver: runs.queue.driver, runs: statuses, jobs, workers })
    return
  }
  output.line(`Queue "${runs.queue.name}" (${runs.queue.driver}): ${workers} worker${workers === 1 ? '' : 's'} alive`)
  output.line()
  output.table(['Run status', 'Runs'], RUN_STATUSES.map((status) => [status, statuses[status]]))
  output.line()
  output.table(['Job state', 'Jobs'], Object.entries(jobs).map(([state, count]) => [state, count]))
}

export default queueStatus
