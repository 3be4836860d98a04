import type { Provider } from '../contracts/provider'
import type { RunEventLog } from '../contracts/run_events'
import type { Application } from '../foundation/application'
import { createRunEvents } from './create_run_events'

declare module '../foundation/application' {
  interface ContainerBindings {
    runEvents: RunEventLog
  }
}

/**
 * Binds `runEvents`: the run event log of config/run_events.ts
 * (RUN_EVENTS_DRIVER). Nothing connects until it is used. Shutdown ends the
 * reads in progress; it runs before the redis provider's.
 *
 * @example
 * await app.make('runEvents').append(runId, { event: 'values', data: state })
 */
export const runEventsProvider: Provider = {
  name: 'run_events',
  register(app: Application) {
    app.singleton('runEvents', () => createRunEvents({ config: app.config.get('run_events'), redis: () => app.make('redis') }))
  },
  async shutdown(app: Application) {
    if (app.resolved('runEvents')) await app.make('runEvents').close()
  },
}
