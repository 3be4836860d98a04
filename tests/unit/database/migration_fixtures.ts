import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Folder of TypeScript migrations used to show .ts files load at run time. */
export const TYPESCRIPT_MIGRATIONS = join(__dirname, 'fixtures', 'typescript_migrations')

/** A scratch folder removed by `cleanup()`. */
export function scratchDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `langvel-${prefix}-`))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/**
 * Writes `<dir>/<name>.js` exporting `up`/`down` with the given bodies (each
 * receives `knex`). Plain JavaScript, so the same file loads under jest, tsx
 * and plain node.
 */
export function writeMigration(dir: string, name: string, body: { up: string; down: string; config?: string }): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.js`)
  const config = body.config ? `exports.config = ${body.config}\n` : ''
  writeFileSync(file, `exports.up = async function up(knex) {\n${body.up}\n}\nexports.down = async function down(knex) {\n${body.down}\n}\n${config}`)
  return file
}

/** A migration creating (and dropping) one table with an id and a label. */
export function writeCreateTable(dir: string, name: string, table: string, extraUp = ''): string {
  return writeMigration(dir, name, {
    up: `await knex.schema.createTable(${JSON.stringify(table)}, (t) => { t.increments('id'); t.string('label') })\n${extraUp}`,
    down: `await knex.schema.dropTable(${JSON.stringify(table)})`,
  })
}
