import type { Provider } from '../contracts/provider'
import type { RunQueue } from '../contracts/run_queue'
import { E_INVALID_CONFIG } from '../errors'
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
        runner: () => {
          checkSharedRunEvents(app)
          return app.make('agents')
        },
        runTimeoutSeconds: config.runTimeoutSeconds,
        concurrency: config.concurrency,
        maxStalled: config.maxStalled,
        logger: app.logger.child({ component: 'runs' }),
        events: () => app.make('runEvents'),
        webhooks: () => app.make('webhooks'),
        threads: () => {
          if (!app.config.has('langgraph_api')) return undefined
          // Loaded only when used: the LangGraph API's stored threads, held while their background runs run.
          const { ThreadStore } = require('../langgraph_api/thread_store') as typeof import('../langgraph_api/thread_store')
          const { StoredRunThreads } = require('../langgraph_api/stored_run_threads') as typeof import('../langgraph_api/stored_run_threads')
          const db = app.make('db')
          return new StoredRunThreads(new ThreadStore(() => db.connection(), db.dialect), app.make('agents'))
        },
      })
    })
  },
  async shutdown(app: Application) {
    if (app.resolved('queue')) await app.make('queue').close(app.config.get('queue').graceMs)
  },
}

/**
 * E_INVALID_CONFIG when runs execute in other processes (a queue driver
 * other than sync) while run events stay in one process's memory: no other
 * instance could stream them. Checked by the processes that execute runs
 * and by `serve`.
 */
export function checkSharedRunEvents(app: Application): void {
  const driver = app.config.get('queue').driver
  if (driver !== 'sync' && app.config.get('run_events').driver === 'memory') {
    throw new E_INVALID_CONFIG([`QUEUE_DRIVER=${driver} runs agents in other processes, so their events must be shared too: set RUN_EVENTS_DRIVER=redis`])
  }
}
