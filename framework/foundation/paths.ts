import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * Where the application's code lives: the repository root when running from
 * TypeScript sources, `build/` when running the compiled output. config/,
 * app/, routes/ and database/migrations are loaded from here.
 */
export const CODE_ROOT = resolve(__dirname, '..', '..')

/** True when running the compiled JavaScript in build/. */
export const IS_COMPILED = __filename.endsWith('.js')

/**
 * The project root: .env, storage/ and stubs/ live here and generators write
 * here. LANGVEL_BASE_PATH overrides it (tests point it at a scratch folder).
 */
export function defaultBasePath(): string {
  if (process.env.LANGVEL_BASE_PATH) return resolve(process.env.LANGVEL_BASE_PATH)
  // Compiled output inside a project (build/) keeps using the project's .env and storage/.
  if (IS_COMPILED && existsSync(join(dirname(CODE_ROOT), 'package.json'))) return dirname(CODE_ROOT)
  return CODE_ROOT
}

/** File extensions of loadable source in this mode. */
export const SOURCE_EXTENSIONS = IS_COMPILED ? ['.js'] : ['.ts', '.js']

/**
 * The loadable file for a path without its extension (`routes/agents`), or
 * undefined when there is none.
 *
 * @example
 * sourceFile(app.codePathFor('routes', 'agents')) // '/app/routes/agents.ts'
 */
export function sourceFile(base: string): string | undefined {
  return SOURCE_EXTENSIONS.map((extension) => `${base}${extension}`).find((file) => existsSync(file))
}
