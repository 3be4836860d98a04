/** Who owns each agent thread, as `<principal type>:<principal id>`. */
export interface ThreadOwnerStore {
  /** Records `owner` unless the thread has one; resolves with the owner on record afterwards. */
  claim(threadId: string, owner: string): Promise<string>
  owner(threadId: string): Promise<string | undefined>
  /** The ids of every thread `owner` owns (erasure of a principal's data). */
  threadsOf(owner: string): Promise<string[]>
  /** Removes the record of a thread if `owner` still owns it; true when it did. */
  release(threadId: string, owner: string): Promise<boolean>
}
