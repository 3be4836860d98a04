import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { authProvider } from '../../../framework/auth/auth_provider'
import { runCli } from '../../../framework/console/kernel'
import { authCommands } from '../../../framework/console/manifests/auth'
import { Output } from '../../../framework/console/output'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { databaseProvider } from '../../../framework/database/database_provider'
import { createLogger } from '../../../framework/logger'
import { redisProvider } from '../../../framework/redis/redis_provider'
import { up } from '../../../database/migrations/20260102000000_create_auth_tables'
import { SECRET } from './helpers'

const logger = createLogger({ silent: true })

export interface AuthCliProject {
  dir: string
  env: Record<string, string>
  /** Runs `langvel <args>` in-process on the auth commands; stdout and stderr captured apart. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  remove(): void
}

/** A scratch project with a SQLite database holding the auth tables, and the auth commands to run on it. */
export async function authCliProject(prefix: string): Promise<AuthCliProject> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const env = { APP_ENV: 'test', JWT_SECRET_KEY: SECRET, DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}` }
  const db = new DatabaseManager({ url: env.DATABASE_URL, basePath: dir })
  await up(db.connection())
  await db.close()
  return {
    dir,
    env,
    async cli(args) {
      const out: string[] = []
      const err: string[] = []
      const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) })
      const output = new Output({ stdout: sink(out), stderr: sink(err), colors: false })
      const code = await runCli(['node', 'langvel', ...args], {
        output,
        commands: authCommands,
        app: { basePath: dir, env, logger, loadDotenv: false, providers: [databaseProvider, redisProvider, authProvider] },
      })
      return { code, stdout: out.join(''), stderr: err.join('') }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
