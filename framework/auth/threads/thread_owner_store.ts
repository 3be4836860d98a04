/** Who owns each agent thread, as `<principal type>:<principal id>`. */
export interface ThreadOwnerStore {
  /** Records `owner` unless the thread has one; resolves with the owner on record afterwards. */
  claim(threadId: string, owner: string): Promise<string>
  owner(threadId: string): Promise<string | undefined>
}
