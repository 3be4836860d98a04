import type { Knex } from 'knex'
import { guardStore } from '../store_errors'
import type { ThreadOwnerStore } from './thread_owner_store'

/**
 * Thread owners in the `auth_thread_owners` table. The primary key on
 * `thread_id` makes a claim race-free: of two concurrent first claims, one
 * insert wins and the other reads the winner back.
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
      // A thread is claimed once and run many times (each turn of a conversation claims it
      // again): an owned thread costs one read and no write.
      const recorded = await this.read(threadId)
      if (recorded !== undefined) return recorded
      const inserted = (await this.knex()(this.table)
        .insert({ thread_id: threadId, owner, created_at: this.now() })
        .onConflict('thread_id')
        .ignore()
        .returning('owner')) as Array<{ owner: string }>
      // Nothing inserted: a concurrent claim won, and its owner is on record now.
      return inserted[0]?.owner ?? ((await this.read(threadId)) as string)
    })
  }

  owner(threadId: string): Promise<string | undefined> {
    return guardStore(() => this.read(threadId))
  }

  threadsOf(owner: string): Promise<string[]> {
    return guardStore(async () => {
      const rows = (await this.knex()(this.table).select('thread_id').where('owner', owner).orderBy('thread_id')) as Array<{ thread_id: string }>
      return rows.map((row) => row.thread_id)
    })
  }

  release(threadId: string, owner: string): Promise<boolean> {
    return guardStore(async () => (await this.knex()(this.table).where({ thread_id: threadId, owner }).delete()) > 0)
  }

  private async read(threadId: string): Promise<string | undefined> {
    const row = (await this.knex()(this.table).select('owner').where('thread_id', threadId).first()) as { owner: string } | undefined
    return row?.owner
  }
}
