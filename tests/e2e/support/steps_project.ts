import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REDIS_URL } from '../../helpers/services'
import { writeCliEntry } from './processes'

const ROOT = join(__dirname, '..', '..', '..')
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'queue', 'steps_agent.ts')

/** A scratch project for the run queue's process tests: its CLI entry and the environment its processes share. */
export interface StepsProject {
  cli: string
  env: Record<string, string>
}

/**
 * Writes a project under `scratch` whose only route, `/steps` (named
 * `name`), is the steps agent of tests/fixtures/queue (each step records
 * which process ran it on a Redis list), with a CLI entry of the given
 * command groups, and the environment of its processes: the queue on
 * bullmq and the run events on Redis under `prefix`, the runs table and
 * checkpoints on `databaseUrl`, quick lock and stall timings.
 *
 * @example
 * const { cli, env } = stepsProject(scratch, { databaseUrl, prefix, queueName: 'runs', manifests: ['queueCommands'] })
 */
export function stepsProject(
  scratch: string,
  options: { databaseUrl: string; prefix: string; queueName: string; manifests: Parameters<typeof writeCliEntry>[1]; name?: string },
): StepsProject {
  const code = join(scratch, 'code')
  const base = join(scratch, 'base')
  for (const folder of [join(code, 'app'), join(code, 'routes'), base]) mkdirSync(folder, { recursive: true })
  for (const shared of ['framework', 'config', 'database', 'node_modules', 'package.json']) symlinkSync(join(ROOT, shared), join(code, shared))
  const named = options.name ? `.name(${JSON.stringify(options.name)})` : ''
  writeFileSync(
    join(code, 'routes', 'agents.ts'),
    `import { Route } from '../framework/routing'\nimport { StepsAgent } from ${JSON.stringify(FIXTURE.replace(/\.ts$/, ''))}\n\nexport default function routes() {\n  Route.agent('/steps', StepsAgent)${named}\n}\n`,
  )
  const cli = writeCliEntry(scratch, options.manifests, { codePath: code })
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    LANGVEL_BASE_PATH: base,
    DATABASE_URL: options.databaseUrl,
    STATE_CHECKPOINTER: 'postgres',
    REDIS_URL,
    REDIS_PREFIX: options.prefix,
    QUEUE_DRIVER: 'bullmq',
    RUN_EVENTS_DRIVER: 'redis',
    QUEUE_NAME: options.queueName,
    QUEUE_CONCURRENCY: '1',
    QUEUE_ATTEMPTS: '2',
    QUEUE_BACKOFF_MS: '100',
    QUEUE_GRACE_MS: '500',
    QUEUE_LOCK_MS: '2000',
    QUEUE_STALLED_INTERVAL_MS: '1000',
    TEST_SIDE_EFFECTS_URL: REDIS_URL,
  }
  return { cli, env }
}
