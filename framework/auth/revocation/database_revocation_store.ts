import type { Knex } from 'knex'
import { guardStore } from '../store_errors'
import type { RevocationStore } from './revocation_store'

export interface DatabaseRevocationStoreOptions {
  /** The table created by the auth migration. */
  table?: string
  now?: () => number
}

/**
 * Revoked token ids in the `auth_revoked_tokens` table, one row per id with
 * its own expiry (`expires_at`, epoch ms: the token's `exp` plus the clock
 * tolerance). Lookups ignore expired rows; every revocation also deletes the
 * rows that have expired, so the table stays the size of the revoked tokens
 * still alive without a scheduled job.
 *
 * @example
 * const store = new DatabaseRevocationStore(() => app.make('db').connection())
 * await store.revoke(jti, new Date((exp + clockToleranceSeconds) * 1000))
 */
export class DatabaseRevocationStore implements RevocationStore {
  private readonly table: string
  private readonly now: () => number

  constructor(
    private readonly knex: () => Knex,
    options: DatabaseRevocationStoreOptions = {},
  ) {
    this.table = options.table ?? 'auth_revoked_tokens'
    this.now = options.now ?? Date.now
  }

  revoke(jti: string, until: Date): Promise<void> {
    return guardStore(async () => {
      const db = this.knex()
      const now = this.now()
      await db(this.table)
        .insert({ jti, expires_at: until.getTime(), revoked_at: now })
        .onConflict('jti')
        .merge(['expires_at'])
      await db(this.table).where('expires_at', '<=', now).delete()
    })
  }

  isRevoked(jti: string): Promise<boolean> {
    return guardStore(async () => {
      const row = await this.knex()(this.table).select('jti').where('jti', jti).andWhere('expires_at', '>', this.now()).first()
      return row !== undefined
    })
  }
}
