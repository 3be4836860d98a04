import { E_INVALID_INPUT } from '../../errors'
import { QueueWorker, type WorkerStopReason } from '../../queue/queue_worker'
import type { CommandHandler } from '../command'
import { integerOption, runsFor, type QueueCommandOptions } from './queue_shared'

interface WorkOptions extends QueueCommandOptions {
  concurrency?: string
  maxJobs?: string
  maxMemory?: string
  timeout?: string
}

const STOPPED: Record<WorkerStopReason, string> = {
  signal: 'stopped by a signal',
  'max-jobs': 'reached --max-jobs',
  'max-memory': 'passed --max-memory',
}

/**
 * `langvel queue:work [--queue] [--concurrency N] [--max-jobs N] [--max-memory MB] [--timeout s]`:
 * executes background runs until SIGTERM/SIGINT, --max-jobs or --max-memory,
 * then stops gracefully and exits 0 (a supervisor starts it again).
 */
const queueWork: CommandHandler<WorkOptions> = async ({ app, options, output }) => {
  const config = app.config.get('queue')
  if (config.driver === 'sync') {
    throw new E_INVALID_INPUT('queue:work needs QUEUE_DRIVER=bullmq: with the sync driver, background runs execute inside `langvel serve`', {
      help: 'Set QUEUE_DRIVER=bullmq (and REDIS_URL) to run workers of their own; see docs/queues.md.',
    })
  }
  const concurrency = integerOption('--concurrency', options.concurrency, 1) ?? config.concurrency
  const maxJobs = integerOption('--max-jobs', options.maxJobs, 1)
  const maxMemoryMb = integerOption('--max-memory', options.maxMemory, 1)
  const timeoutSeconds = integerOption('--timeout', options.timeout, 1)
  const runs = runsFor(app, { queue: options.queue, timeoutSeconds })
  const worker = new QueueWorker({ runs, queue: runs.queue, concurrency, maxJobs, maxMemoryMb, graceMs: config.graceMs, logger: app.logger.child({ component: 'queue:work' }) })
  const onSignal = () => {
    output.info('stopping: held runs get QUEUE_GRACE_MS to finish, then go back to the queue')
    worker.stop('signal')
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  try {
    const running = worker.run()
    output.info(`working queue "${runs.queue.name}" (${runs.queue.driver}, concurrency ${concurrency}, pid ${process.pid})`)
    const reason = await running
    output.success(`queue worker ${STOPPED[reason]}`)
  } finally {
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
  }
}

export default queueWork
