import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { E_INVALID_CONFIG } from '../errors'
import type { AppEnvironment, ConfigDefinition, ConfigProblem } from './define_config'

export type RawEnv = Record<string, string | undefined>

export interface LoadedConfig {
  values: Record<string, unknown>
  warnings: ConfigProblem[]
  definitions: Record<string, ConfigDefinition>
  appEnv: AppEnvironment
}

const SOURCE_EXTENSIONS = ['.ts', '.js', '.cts', '.cjs']

/**
 * Requires every `config/<name>.{ts,js}` file whose default export is a
 * config definition. Files are keyed by their base name.
 */
export function discoverConfigFiles(directory: string): Record<string, ConfigDefinition> {
  const definitions: Record<string, ConfigDefinition> = {}
  if (!existsSync(directory)) return definitions
  for (const file of readdirSync(directory).sort()) {
    const extension = SOURCE_EXTENSIONS.find((ext) => file.endsWith(ext))
    if (!extension || file.endsWith('.d.ts')) continue
    const mod = require(join(directory, file)) as { default?: ConfigDefinition }
    if (mod.default && typeof mod.default === 'object' && 'env' in mod.default && 'resolve' in mod.default) {
      definitions[file.slice(0, -extension.length)] = mod.default
    }
  }
  return definitions
}

/** Every environment key read by the given definitions, in declaration order. */
export function configKeys(definitions: Record<string, ConfigDefinition>): string[] {
  return Object.values(definitions).flatMap((definition) => Object.keys(definition.env))
}

export function secretKeys(definitions: Record<string, ConfigDefinition>): Set<string> {
  return new Set(Object.values(definitions).flatMap((definition) => [...(definition.secrets ?? [])]))
}

function shownValue(key: string, value: string | undefined, secrets: Set<string>): string {
  if (value === undefined) return '(unset)'
  if (secrets.has(key)) return `<redacted, ${Buffer.byteLength(value)} bytes>`
  return JSON.stringify(value).length > 60 ? `${JSON.stringify(value).slice(0, 57)}..."` : JSON.stringify(value)
}

/**
 * Validates the environment against every definition at once and resolves
 * the config objects. All problems from all files are gathered before
 * anything throws, so one run of a command shows every bad key.
 *
 * @example
 * const { values } = loadConfig(discoverConfigFiles('config'), process.env)
 */
export function loadConfig(definitions: Record<string, ConfigDefinition>, rawEnv: RawEnv): LoadedConfig {
  // An empty variable means "unset", as in most dotenv-driven frameworks.
  const environment: RawEnv = {}
  for (const [key, value] of Object.entries(rawEnv)) environment[key] = value === '' ? undefined : value
  const secrets = secretKeys(definitions)
  const errors: Array<{ key: string; message: string }> = []
  const warnings: ConfigProblem[] = []
  const parsed: Record<string, Record<string, unknown>> = {}

  for (const [name, definition] of Object.entries(definitions)) {
    const input: RawEnv = {}
    for (const key of Object.keys(definition.env)) input[key] = environment[key]
    const result = z.object(definition.env).safeParse(input)
    if (result.success) {
      parsed[name] = result.data
      continue
    }
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? name)
      errors.push({ key, message: issue.message })
    }
  }

  const appEnv = ((parsed.app?.APP_ENV as AppEnvironment | undefined) ?? 'development') as AppEnvironment
  const values: Record<string, unknown> = {}
  for (const [name, definition] of Object.entries(definitions)) {
    if (!parsed[name]) continue
    const resolved = definition.resolve(parsed[name] as never)
    values[name] = resolved
    for (const problem of definition.check?.(resolved, { appEnv }) ?? []) {
      if (problem.severity === 'error') {
        errors.push({ key: problem.key, message: problem.message })
      } else {
        warnings.push(problem)
      }
    }
  }

  if (errors.length > 0) {
    const details = errors.map(({ key, message }) => ({ key, value: shownValue(key, environment[key], secrets), message }))
    throw new E_INVALID_CONFIG(
      details.map(({ key, value, message }) => `${key}=${value}: ${message}`),
      { details },
    )
  }
  return { values, warnings, definitions, appEnv }
}
