import type { CommandHandler } from '../command'
import type { QueueCommandOptions } from './queue_shared'

/** `langvel queue:retry <run_id> [--json]`: a run that ended in error or timeout goes back to the queue. */
const queueRetry: CommandHandler<QueueCommandOptions> = async ({ app, args, options, output }) => {
  const [runId] = args
  const run = await app.make('runs').retry(runId)
  if (options.json) output.json({ run_id: run.id, status: run.status, attempts: run.attempts })
  else output.success(`run ${run.id} is queued again (${run.attempts} attempt${run.attempts === 1 ? '' : 's'} so far)`)
}

export default queueRetry
