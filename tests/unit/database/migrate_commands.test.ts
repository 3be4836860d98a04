import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { Migrator } from '../../../framework/database/migrator'
import { scratchDir, writeCreateTable, writeMigration } from './migration_fixtures'

const PRODUCTION = { APP_ENV: 'production', JWT_SECRET_KEY: 'k'.repeat(48) }

function capture() {
  let stdout = ''
  let stderr = ''
  const stream = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, callback) {
        append(String(chunk))
        callback()
      },
    })
  const output = new Output({ stdout: stream((text) => (stdout += text)), stderr: stream((text) => (stderr += text)), colors: false })
  return { output, text: () => ({ stdout, stderr }) }
}

describe('migrate commands', () => {
  let scratch: ReturnType<typeof scratchDir>
  let dir: string

  const cli = async (argv: string[], env: Record<string, string> = {}) => {
    const { output, text } = capture()
    const code = await runCli(['node', 'langvel', ...argv], {
      output,
      app: { basePath: scratch.path, loadDotenv: false, env: { APP_ENV: 'test', LOG_LEVEL: 'error', ...env } },
    })
    return { code, ...text() }
  }
  const statuses = async () => {
    const db = new DatabaseManager({ basePath: scratch.path })
    try {
      return (await new Migrator(db, { directory: dir }).status()).map((row) => row.status)
    } finally {
      await db.close()
    }
  }

  beforeEach(() => {
    scratch = scratchDir('migrate-cli')
    dir = join(scratch.path, 'migrations')
    writeCreateTable(dir, '20250101000000_create_users_table', 'users')
    writeCreateTable(dir, '20250101000001_create_posts_table', 'posts')
  })
  afterEach(() => scratch.cleanup())

  it('migrate prints each migration as it runs, then a summary; a second run has nothing to do', async () => {
    const first = await cli(['migrate', '--path', dir])
    expect(first.code).toBe(0)
    expect(first.stdout.split('\n').filter(Boolean)).toEqual([
      'Migrating:   20250101000000_create_users_table',
      expect.stringMatching(/^Migrated: {4}20250101000000_create_users_table \(\d+\.\d ms\)$/),
      'Migrating:   20250101000001_create_posts_table',
      expect.stringMatching(/^Migrated: {4}20250101000001_create_posts_table \(\d+\.\d ms\)$/),
      'done  Ran 2 migrations in batch 1',
    ])
    expect(existsSync(join(scratch.path, 'storage', 'database.sqlite'))).toBe(true)

    const second = await cli(['migrate', '--path', dir])
    expect(second).toMatchObject({ code: 0, stdout: 'info  Nothing to migrate\n' })
  })

  it('migrate:status shows a table of every migration with its batch and status', async () => {
    await cli(['migrate', '--path', dir])
    writeCreateTable(dir, '20250102000000_create_tags_table', 'tags')
    const { code, stdout } = await cli(['migrate:status', '--path', dir])
    expect(code).toBe(0)
    const lines = stdout.split('\n').map((line) => line.split(/\s{2,}/))
    expect(lines.slice(0, 5)).toEqual([
      ['Migration', 'Batch', 'Status'],
      [expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/)],
      ['20250101000000_create_users_table', '1', 'Ran'],
      ['20250101000001_create_posts_table', '1', 'Ran'],
      ['20250102000000_create_tags_table', 'Pending'],
    ])
    expect(stdout).toContain('2 ran, 1 pending')
  })

  it('migrate:rollback undoes the last batch, or the last --step n migrations', async () => {
    await cli(['migrate', '--path', dir])
    const step = await cli(['migrate:rollback', '--step', '1', '--path', dir])
    expect(step.code).toBe(0)
    expect(step.stdout).toContain('Rolled back:  20250101000001_create_posts_table')
    expect(await statuses()).toEqual(['ran', 'pending'])

    const batch = await cli(['migrate:rollback', '--path', dir])
    expect(batch.stdout).toContain('done  Rolled back 1 migration of batch 1')
    expect((await cli(['migrate:rollback', '--path', dir])).stdout).toBe('info  Nothing to roll back\n')
  })

  it('migrate:rollback refuses a --step that is not a positive integer', async () => {
    const result = await cli(['migrate:rollback', '--step', 'two', '--path', dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_INVALID_INPUT]')
  })

  it('migrate:fresh drops every table and runs all migrations again', async () => {
    await cli(['migrate', '--path', dir])
    const result = await cli(['migrate:fresh', '--path', dir])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('done  Dropped 4 tables')
    expect(result.stdout).toContain('done  Ran 2 migrations in batch 1')
  })

  it('a failing migration is reported by name with a non-zero exit, and nothing of its batch is applied', async () => {
    writeMigration(dir, '20250101000002_broken', { up: "throw new Error('column exploded')", down: '' })
    const result = await cli(['migrate', '--path', dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_MIGRATION_FAILED]')
    expect(result.stderr).toContain('20250101000002_broken')
    expect(result.stderr).toContain('column exploded')
    expect(await statuses()).toEqual(['pending', 'pending', 'pending'])
  })

  it.each([[['migrate']], [['migrate:rollback']], [['migrate:fresh']]])('%j refuses to run in production without --force', async (argv) => {
    const result = await cli([...argv, '--path', dir], PRODUCTION)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_PRODUCTION_GUARD]')
    expect(existsSync(join(scratch.path, 'storage', 'database.sqlite'))).toBe(false)
  })

  it('runs in production with --force', async () => {
    const result = await cli(['migrate', '--force', '--path', dir], PRODUCTION)
    expect(result.code).toBe(0)
    expect(await statuses()).toEqual(['ran', 'ran'])
  })

  describe('--json', () => {
    it('migrate --json prints the batch and the migrations it ran; the progress lines go to stderr', async () => {
      const result = await cli(['migrate', '--path', dir, '--json'])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({ batch: 1, migrations: ['20250101000000_create_users_table', '20250101000001_create_posts_table'] })
      expect(result.stderr.split('\n').filter(Boolean)).toEqual([
        'Migrating:   20250101000000_create_users_table',
        expect.stringMatching(/^Migrated: {4}20250101000000_create_users_table \(\d+\.\d ms\)$/),
        'Migrating:   20250101000001_create_posts_table',
        expect.stringMatching(/^Migrated: {4}20250101000001_create_posts_table \(\d+\.\d ms\)$/),
        'done  Ran 2 migrations in batch 1',
      ])

      const again = await cli(['migrate', '--path', dir, '--json'])
      expect(again).toEqual({ code: 0, stdout: `${JSON.stringify({ batch: null, migrations: [] }, null, 2)}\n`, stderr: 'info  Nothing to migrate\n' })
    })

    it('migrate:status --json lists every migration with its batch, status and when it ran', async () => {
      await cli(['migrate', '--path', dir])
      writeCreateTable(dir, '20250102000000_create_tags_table', 'tags')
      const result = await cli(['migrate:status', '--path', dir, '--json'])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual([
        { name: '20250101000000_create_users_table', batch: 1, status: 'ran', ran_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        { name: '20250101000001_create_posts_table', batch: 1, status: 'ran', ran_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        { name: '20250102000000_create_tags_table', batch: null, status: 'pending', ran_at: null },
      ])
      expect(result.stderr).toBe('')
    })

    it('migrate:status --json prints an empty list for a folder without migrations', async () => {
      const empty = join(scratch.path, 'empty')
      mkdirSync(empty)
      expect(await cli(['migrate:status', '--path', empty, '--json'])).toEqual({ code: 0, stdout: '[]\n', stderr: '' })
    })

    it('migrate:rollback --json and migrate:fresh --json print what they undid and ran', async () => {
      await cli(['migrate', '--path', dir])
      const rollback = await cli(['migrate:rollback', '--step', '1', '--path', dir, '--json'])
      expect(rollback.code).toBe(0)
      expect(JSON.parse(rollback.stdout)).toEqual({ batch: null, migrations: ['20250101000001_create_posts_table'] })
      expect(rollback.stderr).toContain('Rolled back:  20250101000001_create_posts_table')

      const fresh = await cli(['migrate:fresh', '--path', dir, '--json'])
      expect(fresh.code).toBe(0)
      expect(JSON.parse(fresh.stdout)).toEqual({
        dropped: expect.arrayContaining(['users', 'knex_migrations']),
        batch: 1,
        migrations: ['20250101000000_create_users_table', '20250101000001_create_posts_table'],
      })
      expect(fresh.stderr).toContain('info  Dropping all tables\n')
      expect(fresh.stderr).toContain('done  Ran 2 migrations in batch 1\n')
    })

    it('migrate:unlock --json says whether a lock was released', async () => {
      await cli(['migrate', '--path', dir])
      const db = new DatabaseManager({ basePath: scratch.path })
      await db.connection()('knex_migrations_lock').update({ is_locked: 1 })
      await db.close()
      expect(await cli(['migrate:unlock', '--json'])).toEqual({ code: 0, stdout: '{\n  "released": true\n}\n', stderr: 'done  Migration lock released\n' })
      expect(JSON.parse((await cli(['migrate:unlock', '--json'])).stdout)).toEqual({ released: false })
    })
  })

  it('migrate:unlock releases a lock left by a crashed run', async () => {
    await cli(['migrate', '--path', dir])
    const db = new DatabaseManager({ basePath: scratch.path })
    await db.connection()('knex_migrations_lock').update({ is_locked: 1 })
    await db.close()
    expect((await cli(['migrate:unlock'])).stdout).toBe('done  Migration lock released\n')
    expect((await cli(['migrate:unlock'])).stdout).toBe('info  The migration lock was not held\n')
  })
})
