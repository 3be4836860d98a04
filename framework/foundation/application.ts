import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { Config } from '../config/config'
import { discoverConfigFiles, loadConfig, type RawEnv } from '../config/loader'
import type { Provider } from '../contracts/provider'
import { createLogger, type Logger } from '../logger'
import { CODE_ROOT, defaultBasePath } from './paths'

/** Services bound in the container. Concerns add their own entries by declaration merging. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ContainerBindings {}

export interface ApplicationOptions {
  basePath?: string
  codePath?: string
  /** Environment to read instead of process.env (merged over .env). */
  env?: RawEnv
  /** Read `<basePath>/.env`; on by default. */
  loadDotenv?: boolean
  providers?: Provider[]
  logger?: Logger
  /** Log configuration warnings at boot (default true). */
  configWarnings?: boolean
}

type State = 'created' | 'booted' | 'terminating' | 'terminated'

/**
 * The application kernel: reads .env, validates every config file at once,
 * registers and boots providers, and shuts them down in reverse order.
 *
 * @example
 * const app = await Application.create().boot()
 * const db = app.make('db')
 * await app.shutdown()
 */
export class Application {
  readonly basePath: string
  readonly codePath: string
  readonly env: RawEnv
  private state: State = 'created'
  private configRepository?: Config
  private loggerInstance?: Logger
  private readonly providers: Provider[]
  private readonly factories = new Map<string, () => unknown>()
  private readonly instances = new Map<string, unknown>()
  private readonly shutdownHooks: Array<() => unknown> = []

  constructor(private readonly options: ApplicationOptions = {}) {
    this.basePath = resolve(options.basePath ?? defaultBasePath())
    this.codePath = resolve(options.codePath ?? CODE_ROOT)
    const fromFile = options.loadDotenv === false ? {} : readDotenv(join(this.basePath, '.env'))
    this.env = { ...fromFile, ...(options.env ?? process.env) }
    this.providers = options.providers ?? []
    this.loggerInstance = options.logger
  }

  static create(options?: ApplicationOptions): Application {
    return new Application(options)
  }

  get config(): Config {
    if (!this.configRepository) throw new Error('Application config is read before boot()')
    return this.configRepository
  }

  get logger(): Logger {
    if (!this.loggerInstance) throw new Error('Application logger is read before boot()')
    return this.loggerInstance
  }

  get environment() {
    return this.config.appEnv
  }

  get isProduction(): boolean {
    return this.config.appEnv === 'production'
  }

  get isBooted(): boolean {
    return this.state === 'booted'
  }

  /** Resolves a path under the project root. */
  path(...segments: string[]): string {
    return join(this.basePath, ...segments)
  }

  /** Resolves a path under the code root (config/, app/, routes/, database/). */
  codePathFor(...segments: string[]): string {
    return join(this.codePath, ...segments)
  }

  /** Validates configuration; throws E_INVALID_CONFIG listing every bad key. */
  loadConfiguration(): Config {
    if (!this.configRepository) {
      const definitions = discoverConfigFiles(this.codePathFor('config'))
      this.configRepository = new Config(loadConfig(definitions, this.env))
    }
    return this.configRepository
  }

  async boot(): Promise<this> {
    if (this.state !== 'created') return this
    const config = this.loadConfiguration()
    if (!this.loggerInstance) {
      const logging = config.get('logging')
      this.loggerInstance = createLogger({
        level: logging.level,
        format: logging.format ?? (config.appEnv === 'production' ? 'json' : 'pretty'),
        file: logging.file ? resolve(this.basePath, logging.file) : undefined,
      })
    }
    for (const warning of this.options.configWarnings === false ? [] : config.warnings) {
      this.logger.warn(`${warning.key} ${warning.message}`, { key: warning.key })
    }
    for (const provider of this.providers) provider.register?.(this)
    for (const provider of this.providers) await provider.boot?.(this)
    this.state = 'booted'
    return this
  }

  /** Binds a lazily created singleton. */
  singleton<K extends keyof ContainerBindings & string>(name: K, factory: () => ContainerBindings[K]): void {
    this.factories.set(name, factory)
    this.instances.delete(name)
  }

  make<K extends keyof ContainerBindings & string>(name: K): ContainerBindings[K] {
    if (this.instances.has(name)) return this.instances.get(name) as ContainerBindings[K]
    const factory = this.factories.get(name)
    if (!factory) throw new Error(`Nothing is bound to "${name}" in the container`)
    const instance = factory()
    this.instances.set(name, instance)
    return instance as ContainerBindings[K]
  }

  /** True once the singleton has been created (providers close only what was opened). */
  resolved(name: keyof ContainerBindings & string): boolean {
    return this.instances.has(name)
  }

  bound(name: string): boolean {
    return this.factories.has(name)
  }

  onShutdown(hook: () => unknown): void {
    this.shutdownHooks.push(hook)
  }

  /** Closes everything providers opened, in reverse order; safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.state === 'terminating' || this.state === 'terminated') return
    this.state = 'terminating'
    const errors: unknown[] = []
    for (const hook of [...this.shutdownHooks].reverse()) {
      await Promise.resolve()
        .then(hook)
        .catch((error) => errors.push(error))
    }
    for (const provider of [...this.providers].reverse()) {
      await Promise.resolve()
        .then(() => provider.shutdown?.(this))
        .catch((error) => errors.push(error))
    }
    for (const error of errors) this.loggerInstance?.error('shutdown step failed', error as Error)
    if (!this.options.logger) this.loggerInstance?.close()
    this.state = 'terminated'
  }
}

function readDotenv(file: string): RawEnv {
  if (!existsSync(file)) return {}
  return parseDotenv(readFileSync(file))
}
