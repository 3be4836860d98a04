import type { Knex } from 'knex'
import { guardStore } from '../store_errors'
import type { ThreadOwnerStore } from './thread_owner_store'

/**
 * Thread owners in the `auth_thread_owners` table. The primary key on
 * `thread_id` makes a claim race-free: of two concurrent first claims, one
 * insert wins and both read the same owner back.
 *
 * @example
 * const store = new DatabaseThreadOwnerStore(() => app.make('db').connection())
 */
export class DatabaseThreadOwnerStore implements ThreadOwnerStore {
  private readonly table: string
  private readonly now: () => number

  constructor(
    private readonly knex: () => Knex,
    options: { table?: string; now?: () => number } = {},
  ) {
    this.table = options.table ?? 'auth_thread_owners'
    this.now = options.now ?? Date.now
  }

  claim(threadId: string, owner: string): Promise<string> {
    return guardStore(async () => {
      const db = this.knex()
      await db(this.table).insert({ thread_id: threadId, owner, created_at: this.now() }).onConflict('thread_id').ignore()
      const row = (await db(this.table).select('owner').where('thread_id', threadId).first()) as { owner: string }
      return row.owner
    })
  }

  owner(threadId: string): Promise<string | undefined> {
    return guardStore(async () => {
      const row = (await this.knex()(this.table).select('owner').where('thread_id', threadId).first()) as { owner: string } | undefined
      return row?.owner
    })
  }
}
