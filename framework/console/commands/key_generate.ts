import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import { parse as parseDotenv } from 'dotenv'
import { E_KEY_EXISTS } from '../../errors'
import type { CommandHandler } from '../command'

const KEY = 'JWT_SECRET_KEY'

/** Assignments of the key, not comments mentioning it; `export KEY=` is valid dotenv too. */
const ASSIGNMENT = new RegExp(`^([ \\t]*(?:export[ \\t]+)?${KEY}[ \\t]*=)(.*)$`, 'gm')

/** 512 bits: well past HS256's 256-bit minimum, and URL/shell-safe without quoting. */
export function generateKey(): string {
  return randomBytes(64).toString('base64url')
}

/**
 * `langvel key:generate [--force] [--show]`: writes a fresh JWT_SECRET_KEY
 * into `<project root>/.env` (created from .env.example when missing),
 * editing only that line. The key itself is printed only with --show, which
 * writes nothing.
 */
const keyGenerate: CommandHandler<{ force?: boolean; show?: boolean }> = ({ app, options, output }) => {
  const key = generateKey()
  if (options.show) {
    output.line(key)
    return 0
  }

  const envFile = app.path('.env')
  const exampleFile = app.path('.env.example')
  const source = existsSync(envFile) ? 'env' : existsSync(exampleFile) ? 'example' : 'none'
  const before = source === 'env' ? readFileSync(envFile, 'utf8') : source === 'example' ? readFileSync(exampleFile, 'utf8') : ''

  const assignments = before.match(ASSIGNMENT) ?? []
  const current = assignments.map((line) => parseDotenv(line)[KEY] ?? '').filter(Boolean)
  // Only a key already in .env is precious; a value shipped in .env.example is a placeholder.
  if (source === 'env' && current.length > 0 && !options.force) throw new E_KEY_EXISTS(KEY, '.env')

  let after: string
  if (assignments.length > 0) {
    after = before.replace(ASSIGNMENT, (_line, prefix: string) => `${prefix}${key}`)
  } else {
    const separator = before === '' || before.endsWith('\n') ? '' : '\n'
    after = `${before}${separator}${KEY}=${key}\n`
  }
  writePrivate(envFile, after)

  const origin = source === 'env' ? '' : source === 'example' ? ' (created from .env.example)' : ' (created)'
  output.success(`${current.length > 0 && source === 'env' ? 'replaced' : 'set'} ${KEY} in .env${origin}`)
  const fromEnvironment = app.env[KEY]
  if (fromEnvironment && !current.includes(fromEnvironment)) {
    output.warn(`${KEY} is also set in the process environment, which takes precedence over .env`)
  }
  return 0
}

/**
 * Writes through a temporary file and a rename so an interrupted write never
 * leaves a truncated .env; 0600 because the file now holds a signing key.
 */
function writePrivate(file: string, content: string): void {
  const target = existsSync(file) ? realpathSync(file) : file
  const temporary = `${target}.${process.pid}.tmp`
  writeFileSync(temporary, content, { mode: 0o600 })
  chmodSync(temporary, 0o600)
  renameSync(temporary, target)
}

export default keyGenerate
