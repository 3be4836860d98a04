import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'
import type { QueueCommandOptions } from './queue_shared'

/** `langvel queue:retry <run_id> [--json]`: a run that ended in error or timeout goes back to the queue. */
const queueRetry: CommandHandler<QueueCommandOptions> = async ({ app, args, options, output }) => {
  const [runId] = args
  if (app.config.get('queue').driver === 'sync') {
    // A sync queue lives in one process: a run queued from this command would be lost when it exits.
    throw new E_INVALID_INPUT('queue:retry needs QUEUE_DRIVER=bullmq: with the sync driver, runs execute inside the `langvel serve` process that created them', {
      help: 'Retry the run from the application (app.make(\'runs\').retry(id)) or set QUEUE_DRIVER=bullmq; see docs/queues.md.',
    })
  }
  const run = await app.make('runs').retry(runId)
  if (options.json) output.json({ run_id: run.id, status: run.status, attempts: run.attempts })
  else output.success(`run ${run.id} is queued again (${run.attempts} attempt${run.attempts === 1 ? '' : 's'} so far)`)
}

export default queueRetry
