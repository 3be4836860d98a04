import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type StateOf } from '../../../../framework/agents'
import { Migrator } from '../../../../framework/database/migrator'
import { Application } from '../../../../framework/foundation/application'
import { defaultProviders } from '../../../../framework/foundation/providers'
import { createLogger } from '../../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..', '..')

/**
 * A booted test application under `base`, its database migrated (the threads
 * table included), with an in-memory checkpointer and rate limiter. `env`
 * adds to or replaces those settings; a JWT key is set unless `env` says
 * otherwise (`JWT_SECRET_KEY: undefined` boots without one).
 */
export async function bootMigratedApp(base: string, env: Record<string, string | undefined> = {}): Promise<Application> {
  const settings: Record<string, string | undefined> = { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', ...env }
  const app = Application.create({
    basePath: base,
    loadDotenv: false,
    env: Object.fromEntries(Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    providers: defaultProviders(),
    logger: createLogger({ silent: true }),
  })
  await app.boot()
  await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
  return app
}

export const SlowState = defineState({ label: z.string() })
/** One release per run SlowAgent holds, in the order they started. */
export const gates: Array<() => void> = []

/** Holds its run until the test releases it (`gates.shift()?.()`). */
export class SlowAgent extends Agent<typeof SlowState> {
  state = SlowState

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.hold)
  }

  hold(state: StateOf<typeof SlowState>) {
    return new Promise<Partial<StateOf<typeof SlowState>>>((resolve) => gates.push(() => resolve({ label: `${state.label} done` })))
  }
}
