/** A database the benchmark created for one server, and how to drop it. */
export interface ScratchDatabase {
  name: string
  /** The server's DATABASE_URL: the admin URL with the database replaced. */
  url: string
  drop(): Promise<void>
}

/**
 * Creates an empty database on the PostgreSQL server of `adminUrl` (which
 * names any database the user may connect to, usually `postgres`), so a
 * benchmark server starts on empty tables and leaves nothing behind. The
 * name is the caller's; it must be unique on the server for the run.
 *
 * @example
 * const db = await createScratchDatabase('postgres://postgres@127.0.0.1:5432/postgres', 'langvel_bench_123_1')
 * env.DATABASE_URL = db.url
 * await db.drop()
 */
export async function createScratchDatabase(adminUrl: string, name: string): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`scratch database name ${JSON.stringify(name)}: use lower-case letters, digits and underscores`)
  await admin(adminUrl, `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  let dropped: Promise<void> | undefined
  return {
    name,
    url: url.toString(),
    // WITH (FORCE) ends connections a killed server may have left open (PostgreSQL 13+).
    drop: () => (dropped ??= admin(adminUrl, `drop database if exists ${name} with (force)`)),
  }
}

/** Whether the PostgreSQL server answers; the reason when it does not. */
export async function postgresReachable(adminUrl: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await admin(adminUrl, 'select 1')
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message || error.name : String(error) }
  }
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const { Client } = require('pg') as typeof import('pg')
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query(sql)
  } finally {
    await client.end().catch(() => undefined)
  }
}
