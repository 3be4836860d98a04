import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Knex } from 'knex'
import { loadJwtKeys } from '../../../framework/auth/jwt/jwt_keys'
import { TokenService, type TokenServiceOptions } from '../../../framework/auth/jwt/token_service'
import { DatabaseRevocationStore } from '../../../framework/auth/revocation/database_revocation_store'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { down, up } from '../../../database/migrations/20260102000000_create_auth_tables'

export const SECRET = randomBytes(48).toString('base64url')

/** A SQLite database in memory with the auth tables of the real migration. */
export async function authDatabase(): Promise<{ knex: Knex; db: DatabaseManager; close: () => Promise<void> }> {
  const db = new DatabaseManager({ url: 'sqlite::memory:', basePath: tmpdir() })
  const knex = db.connection()
  await up(knex)
  return { knex, db, close: () => db.close() }
}

/** Drops the auth tables (used to check the error when they are missing). */
export async function dropAuthTables(knex: Knex): Promise<void> {
  await down(knex)
}

/** A settable clock, in epoch ms. */
export class Clock {
  constructor(public ms = Date.UTC(2026, 0, 1, 12, 0, 0)) {}
  now = (): number => this.ms
  advance(seconds: number): void {
    this.ms += seconds * 1000
  }
}

export function tokenService(knex: Knex, overrides: Partial<TokenServiceOptions> = {}): TokenService {
  return new TokenService({
    keys: loadJwtKeys({ algorithm: 'HS256', secret: SECRET, basePath: tmpdir() }),
    issuer: 'langvel',
    audience: 'langvel',
    clockToleranceSeconds: 5,
    defaultTtlSeconds: 3600,
    maxTtlSeconds: 30 * 86400,
    revocations: new DatabaseRevocationStore(() => knex, { now: overrides.now }),
    ...overrides,
  })
}

/** RSA and EC key files in a scratch folder, for the RS256/ES256 cases. */
export function keyFiles(): { dir: string; rsaPrivate: string; rsaPublic: string; ecPrivate: string; ecPublic: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'langvel-keys-'))
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const write = (name: string, pem: string) => {
    writeFileSync(join(dir, name), pem)
    return join(dir, name)
  }
  return {
    dir,
    rsaPrivate: write('rsa.key', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    rsaPublic: write('rsa.pub', rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string),
    ecPrivate: write('ec.key', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    ecPublic: write('ec.pub', ec.publicKey.export({ type: 'spki', format: 'pem' }) as string),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Base64url JSON, for hand-made tokens. */
export const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
