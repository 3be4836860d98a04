import type { Provider } from '../contracts/provider'
import type { RunQueue } from '../contracts/run_queue'
import type { Application } from '../foundation/application'
import { createQueue } from './create_queue'
import { RunService } from './run_service'
import { RunStore } from './run_store'

declare module '../foundation/application' {
  interface ContainerBindings {
    queue: RunQueue
    runs: RunService
  }
}

/**
 * Binds `queue` (the run queue of config/queue.ts, QUEUE_DRIVER) and `runs`
 * (background runs: the runs table plus the queue). Nothing connects until
 * used. Shutdown closes the queue: held runs get QUEUE_GRACE_MS to finish,
 * then stop at their next step and go back to the queue.
 *
 * @example
 * const { run } = await app.make('runs').dispatch({ route: '/support', input })
 */
export const queueProvider: Provider = {
  name: 'queue',
  register(app: Application) {
    app.singleton('queue', () => createQueue({ config: app.config.get('queue'), redis: () => app.config.get('redis'), logger: app.logger.child({ component: 'queue' }) }))
    app.singleton('runs', () => {
      const config = app.config.get('queue')
      return new RunService({
        store: new RunStore(() => app.make('db').connection()),
        queue: app.make('queue'),
        runner: () => app.make('agents'),
        runTimeoutSeconds: config.runTimeoutSeconds,
        concurrency: config.concurrency,
        maxStalled: config.maxStalled,
        logger: app.logger.child({ component: 'runs' }),
      })
    })
  },
  async shutdown(app: Application) {
    if (app.resolved('queue')) await app.make('queue').close(app.config.get('queue').graceMs)
  },
}
