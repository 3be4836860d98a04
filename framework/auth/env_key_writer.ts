import { chmodSync, existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'

export const JWT_KEY_NAME = 'JWT_SECRET_KEY'

/** Assignments of the key, not comments mentioning it; `export KEY=` is valid dotenv too. */
const ASSIGNMENT = new RegExp(`^([ \\t]*(?:export[ \\t]+)?${JWT_KEY_NAME}[ \\t]*=)(.*)$`, 'gm')

export interface EnvKeyFile {
  /** Where the content came from: the existing .env, .env.example, or nothing. */
  source: 'env' | 'example' | 'none'
  /** Keys already assigned in that content (empty values left out). */
  current: string[]
}

/** Reads `<basePath>/.env` (or .env.example when there is no .env) and the JWT keys it assigns. */
export function readEnvKeyFile(basePath: string): EnvKeyFile & { content: string } {
  const envFile = join(basePath, '.env')
  const exampleFile = join(basePath, '.env.example')
  const source = existsSync(envFile) ? 'env' : existsSync(exampleFile) ? 'example' : 'none'
  const content = source === 'env' ? readFileSync(envFile, 'utf8') : source === 'example' ? readFileSync(exampleFile, 'utf8') : ''
  const current = (content.match(ASSIGNMENT) ?? []).map((line) => parseDotenv(line)[JWT_KEY_NAME] ?? '').filter(Boolean)
  return { source, current, content }
}

/**
 * Writes `JWT_SECRET_KEY=<key>` into `<basePath>/.env`, created from
 * .env.example when missing, editing only the key's line (or appending it).
 * Written through a temporary file and a rename, so an interrupted write
 * never leaves a truncated .env, with mode 0600 since it holds a signing key.
 * Shared by `key:generate` and the development key bootstrap.
 *
 * @example
 * const { source } = writeEnvKey(app.path(), generateKey())
 */
export function writeEnvKey(basePath: string, key: string): EnvKeyFile {
  const { source, current, content } = readEnvKeyFile(basePath)
  let after: string
  if (content.match(ASSIGNMENT)) {
    after = content.replace(ASSIGNMENT, (_line, prefix: string) => `${prefix}${key}`)
  } else {
    const separator = content === '' || content.endsWith('\n') ? '' : '\n'
    after = `${content}${separator}${JWT_KEY_NAME}=${key}\n`
  }
  const envFile = join(basePath, '.env')
  const target = existsSync(envFile) ? realpathSync(envFile) : envFile
  const temporary = `${target}.${process.pid}.tmp`
  writeFileSync(temporary, after, { mode: 0o600 })
  chmodSync(temporary, 0o600)
  renameSync(temporary, target)
  return { source, current }
}
