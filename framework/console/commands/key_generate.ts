import { generateJwtKey } from '../../auth/development_key'
import { JWT_KEY_NAME, readEnvKeyFile, writeEnvKey } from '../../auth/env_key_writer'
import { E_KEY_EXISTS } from '../../errors'
import type { CommandHandler } from '../command'

/**
 * `langvel key:generate [--force] [--show] [--json]`: writes a fresh
 * JWT_SECRET_KEY into `<project root>/.env` (created from .env.example when
 * missing), editing only that line. The key itself is printed only with
 * --show, which writes nothing.
 */
const keyGenerate: CommandHandler<{ force?: boolean; show?: boolean; json?: boolean }> = ({ app, options, output }) => {
  const key = generateJwtKey()
  if (options.show) {
    if (options.json) output.json({ key })
    else output.line(key)
    return 0
  }
  const existing = readEnvKeyFile(app.path())
  // Only a key already in .env is precious; a value shipped in .env.example is a placeholder.
  if (existing.source === 'env' && existing.current.length > 0 && !options.force) throw new E_KEY_EXISTS(JWT_KEY_NAME, '.env')

  const { source, current } = writeEnvKey(app.path(), key)
  const action = current.length > 0 && source === 'env' ? 'replaced' : 'set'
  // Never the key itself: it is printed only with --show.
  if (options.json) output.json({ name: JWT_KEY_NAME, file: '.env', action, created: source !== 'env' })
  const origin = source === 'env' ? '' : source === 'example' ? ' (created from .env.example)' : ' (created)'
  output.success(`${action} ${JWT_KEY_NAME} in .env${origin}`)
  const fromEnvironment = app.env[JWT_KEY_NAME]
  if (fromEnvironment && !current.includes(fromEnvironment)) {
    output.warn(`${JWT_KEY_NAME} is also set in the process environment, which takes precedence over .env`)
  }
  return 0
}

export default keyGenerate
