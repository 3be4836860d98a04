import type { CommandHandler } from '../command'
import { runsFor, type QueueCommandOptions } from './queue_shared'

/** `langvel queue:flush-failed [--queue name] [--json]`: deletes the failed jobs; the runs table keeps their runs. */
const queueFlushFailed: CommandHandler<QueueCommandOptions> = async ({ app, options, output }) => {
  const runs = runsFor(app, { queue: options.queue })
  const flushed = await runs.queue.flushFailed()
  if (options.json) output.json({ queue: runs.queue.name, flushed })
  else output.success(`${flushed} failed job${flushed === 1 ? '' : 's'} deleted from queue "${runs.queue.name}"`)
}

export default queueFlushFailed
