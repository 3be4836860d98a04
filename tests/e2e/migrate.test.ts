import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DatabaseManager } from '../../framework/database/database_manager'
import { TYPESCRIPT_MIGRATIONS, scratchDir, writeCreateTable, writeMigration } from '../unit/database/migration_fixtures'

const ROOT = resolve(__dirname, '..', '..')

/** Runs `node bin/langvel ...` in a scratch project (storage/ under LANGVEL_BASE_PATH). */
function langvel(args: string[], basePath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'langvel'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1', LANGVEL_BASE_PATH: basePath },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

describe('langvel migrate (process)', () => {
  let scratch: ReturnType<typeof scratchDir>
  beforeEach(() => {
    scratch = scratchDir('e2e-migrate')
  })
  afterEach(() => scratch.cleanup())

  it('migrates TypeScript migrations into storage/database.sqlite of the project, then shows them as ran', async () => {
    const migrate = await langvel(['migrate', '--path', TYPESCRIPT_MIGRATIONS], scratch.path)
    expect(migrate).toMatchObject({ code: 0, stderr: '' })
    expect(migrate.stdout).toMatch(/Migrating: +20250101000000_create_notes_table\nMigrated: +20250101000000_create_notes_table/)
    expect(migrate.stdout).toContain('Ran 2 migrations in batch 1')
    expect(existsSync(join(scratch.path, 'storage', 'database.sqlite'))).toBe(true)

    const status = await langvel(['migrate:status', '--path', TYPESCRIPT_MIGRATIONS], scratch.path)
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/20250101000000_create_notes_table +1 +Ran/)
    expect(status.stdout).toMatch(/20250101000001_create_tags_table +1 +Ran/)

    const json = await langvel(['migrate:status', '--path', TYPESCRIPT_MIGRATIONS, '--json'], scratch.path)
    expect(json).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: '20250101000000_create_notes_table', batch: 1, status: 'ran' }),
      expect.objectContaining({ name: '20250101000001_create_tags_table', batch: 1, status: 'ran' }),
    ])

    const again = await langvel(['migrate', '--path', TYPESCRIPT_MIGRATIONS], scratch.path)
    expect(again).toMatchObject({ code: 0, stdout: 'info  Nothing to migrate\n' })
  })

  it('exits non-zero naming the migration that failed', async () => {
    const dir = join(scratch.path, 'migrations')
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_broken', { up: "await knex.raw('select * from missing_table')", down: '' })
    const result = await langvel(['migrate', '--path', dir], scratch.path)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_MIGRATION_FAILED]')
    expect(result.stderr).toContain('20250101000001_broken')

    const status = await langvel(['migrate:status', '--path', dir], scratch.path)
    expect(status.stdout).toMatch(/20250101000000_create_users_table +Pending/)
  })

  it('two processes migrating one SQLite file at once apply each migration exactly once', async () => {
    const dir = join(scratch.path, 'migrations')
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeMigration(dir, '20250101000001_slow', { up: "await new Promise((r) => setTimeout(r, 400))\nawait knex('users').insert({ label: 'once' })", down: '' })
    const runs = await Promise.all([langvel(['migrate', '--path', dir], scratch.path), langvel(['migrate', '--path', dir], scratch.path)])
    expect(runs.map((run) => run.code)).toEqual([0, 0])
    expect(runs.map((run) => run.stdout.includes('Ran 2 migrations in batch 1')).sort()).toEqual([false, true])

    const db = new DatabaseManager({ basePath: scratch.path })
    try {
      expect(await db.connection()('users').pluck('label')).toEqual(['once'])
      expect(await db.connection()('knex_migrations').count({ n: '*' })).toEqual([{ n: 2 }])
    } finally {
      await db.close()
    }
  })
})
