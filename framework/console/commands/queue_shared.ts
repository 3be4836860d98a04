import type { Application } from '../../foundation/application'
import { E_INVALID_INPUT } from '../../errors'
import { createQueue } from '../../queue/create_queue'
import { checkQueueName } from '../../queue/queue_options'
import { RunService } from '../../queue/run_service'
import { RunStore } from '../../queue/run_store'

export interface QueueCommandOptions {
  queue?: string
  json?: boolean
}

/** A whole number option of at least `min`, or E_INVALID_INPUT naming the option. */
export function integerOption(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < min) throw new E_INVALID_INPUT(`${flag} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`)
  return number
}

/** The configured background runs, on another queue when `--queue` names one. */
export function runsFor(app: Application, options: QueueCommandOptions & { timeoutSeconds?: number } = {}): RunService {
  if (options.queue === undefined && options.timeoutSeconds === undefined) return app.make('runs')
  const config = app.config.get('queue')
  const name = options.queue === undefined ? config.name : checkQueueName(options.queue)
  const queue = createQueue({ config: { ...config, name }, redis: () => app.config.get('redis'), logger: app.logger.child({ component: 'queue' }) })
  // Closed on shutdown with the configured grace, like the bound queue.
  app.onShutdown(() => queue.close(config.graceMs))
  return new RunService({
    store: new RunStore(() => app.make('db').connection()),
    queue,
    runner: () => app.make('agents'),
    runTimeoutSeconds: options.timeoutSeconds ?? config.runTimeoutSeconds,
    concurrency: config.concurrency,
    maxStalled: config.maxStalled,
    logger: app.logger.child({ component: 'runs' }),
  })
}
