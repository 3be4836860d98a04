import type { ConfigOf } from './define_config'
import type { LoadedConfig } from './loader'

/** The typed shape of each config file the framework reads. */
export interface ConfigMap {
  app: ConfigOf<typeof import('../../config/app').default>
  server: ConfigOf<typeof import('../../config/server').default>
  agents: ConfigOf<typeof import('../../config/agents').default>
  auth: ConfigOf<typeof import('../../config/auth').default>
  database: ConfigOf<typeof import('../../config/database').default>
  redis: ConfigOf<typeof import('../../config/redis').default>
  checkpointer: ConfigOf<typeof import('../../config/checkpointer').default>
  rate_limit: ConfigOf<typeof import('../../config/rate_limit').default>
  logging: ConfigOf<typeof import('../../config/logging').default>
  llm: ConfigOf<typeof import('../../config/llm').default>
  metrics: ConfigOf<typeof import('../../config/metrics').default>
  rag: ConfigOf<typeof import('../../config/rag').default>
  mcp: ConfigOf<typeof import('../../config/mcp').default>
  bus: ConfigOf<typeof import('../../config/bus').default>
  queue: ConfigOf<typeof import('../../config/queue').default>
  memory: ConfigOf<typeof import('../../config/memory').default>
  tracing: ConfigOf<typeof import('../../config/tracing').default>
  tracing_backends: ConfigOf<typeof import('../../config/tracing_backends').default>
  langgraph_api: ConfigOf<typeof import('../../config/langgraph_api').default>
  playground: ConfigOf<typeof import('../../config/playground').default>
  run_events: ConfigOf<typeof import('../../config/run_events').default>
  webhooks: ConfigOf<typeof import('../../config/webhooks').default>
}

/**
 * Read access to the validated configuration.
 *
 * @example
 * const port = app.config.get('server').port
 */
export class Config {
  constructor(private readonly loaded: LoadedConfig) {}

  get<K extends keyof ConfigMap>(name: K): ConfigMap[K]
  get<T = unknown>(name: string): T
  get(name: string): unknown {
    const value = this.loaded.values[name]
    if (value === undefined) throw new Error(`Config file config/${name} is not loaded`)
    return value
  }

  has(name: string): boolean {
    return name in this.loaded.values
  }

  get appEnv() {
    return this.loaded.appEnv
  }

  get warnings() {
    return this.loaded.warnings
  }

  get definitions() {
    return this.loaded.definitions
  }
}
