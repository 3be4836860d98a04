import type { Knex } from 'knex'
import type { Principal } from '../../../framework/contracts/request_context'
import { DatabaseThreadOwnerStore } from '../../../framework/auth/threads/database_thread_owner_store'
import { ThreadOwnership } from '../../../framework/auth/threads/thread_ownership'
import { authDatabase } from './helpers'

const user = (id: string, permissions: string[] = []): Principal => ({ id, type: 'user', permissions })

describe('ThreadOwnership', () => {
  let knex: Knex
  let close: () => Promise<void>
  let threads: ThreadOwnership

  beforeAll(async () => {
    ;({ knex, close } = await authDatabase())
    threads = new ThreadOwnership(new DatabaseThreadOwnerStore(() => knex))
  })
  afterAll(() => close())

  it('lets the principal that created a thread use it, and answers 404 E_THREAD_NOT_FOUND to everyone else', async () => {
    await threads.claim('t-1', user('alice'))
    await threads.claim('t-1', user('alice'))
    await expect(threads.assertCanAccess('t-1', user('alice'))).resolves.toBeUndefined()
    await expect(threads.assertCanAccess('t-1', user('bob'))).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND', status: 404 })
    await expect(threads.claim('t-1', user('bob'))).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })
    await expect(threads.assertCanAccess('t-1', undefined)).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })
    await expect(threads.canAccess('t-1', user('bob'))).resolves.toBe(false)
  })

  it('keeps a user and an API key with the same id apart', async () => {
    await threads.claim('t-2', user('same-id'))
    await expect(threads.assertCanAccess('t-2', { id: 'same-id', type: 'api_key', permissions: [] })).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })
  })

  it('lets `threads.all`, `threads.*` or `*` use every thread, while they still own what they create', async () => {
    await threads.claim('t-3', user('alice'))
    for (const permissions of [['threads.all'], ['threads.*'], ['*']]) {
      await expect(threads.assertCanAccess('t-3', user('admin', permissions))).resolves.toBeUndefined()
      await expect(threads.claim('t-3', user('admin', permissions))).resolves.toBeUndefined()
    }
    await expect(threads.assertCanAccess('t-3', user('reader', ['threads.read']))).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })

    await threads.claim('t-4', user('admin', ['*']))
    await expect(threads.assertCanAccess('t-4', user('alice'))).rejects.toMatchObject({ code: 'E_THREAD_NOT_FOUND' })
  })

  it('leaves threads created without a principal open, and records no owner for them', async () => {
    await threads.claim('t-anon', undefined)
    await expect(threads.assertCanAccess('t-anon', undefined)).resolves.toBeUndefined()
    await expect(threads.assertCanAccess('t-anon', user('bob'))).resolves.toBeUndefined()
  })

  it('gives a thread to exactly one of many concurrent first claims', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => threads.claim('t-race', user(`u${index}`))))
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
  })
})
