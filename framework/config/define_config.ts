import type { z } from 'zod'

export type AppEnvironment = 'development' | 'production' | 'test'

/** The environment variables a config file reads, each with its zod schema. */
export type EnvShape = Record<string, z.ZodType>

export type EnvValues<S extends EnvShape> = { [K in keyof S]: z.output<S[K]> }

export interface ConfigCheckContext {
  appEnv: AppEnvironment
}

/**
 * A problem found by a config file's `check`. Errors stop the boot; warnings
 * are logged. A check decides the severity from the environment, which is how
 * "refused in production, warned in development" rules are written.
 */
export interface ConfigProblem {
  key: string
  message: string
  severity: 'error' | 'warning'
}

export interface ConfigDefinition<S extends EnvShape = EnvShape, T = unknown> {
  /** Environment variables read by this file. Every key here must be documented. */
  env: S
  /** Shapes the validated variables into the config object the framework reads. */
  // Method syntax (not a function property) keeps a specific definition assignable to ConfigDefinition<EnvShape>.
  resolve(env: EnvValues<S>): T
  /** Rules across keys, or that depend on APP_ENV. */
  check?(config: T, context: ConfigCheckContext): ConfigProblem[]
  /** Keys whose values are secrets: redacted by `config:show` and in logs. */
  secrets?: ReadonlyArray<keyof S & string>
}

/**
 * Declares a config file. The types of the resulting config are inferred from
 * the zod schemas, never written twice.
 *
 * @example
 * export default defineConfig({
 *   env: { SERVER_PORT: env.port(8000) },
 *   resolve: (e) => ({ port: e.SERVER_PORT }),
 * })
 */
export function defineConfig<S extends EnvShape, T>(definition: ConfigDefinition<S, T>): ConfigDefinition<S, T> {
  return definition
}

export type ConfigOf<D> = D extends ConfigDefinition<infer _S, infer T> ? T : never
