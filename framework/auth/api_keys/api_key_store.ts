/** What is known about an API key: never the key itself, and listings never show its hash. */
export interface ApiKeyRecord {
  id: string
  name: string
  permissions: string[]
  createdAt: Date
  /** null: never expires. */
  expiresAt: Date | null
  lastUsedAt: Date | null
  usageCount: number
  revokedAt: Date | null
}

/** A record with the SHA-256 of its key, as the store keeps it. */
export interface StoredApiKey extends ApiKeyRecord {
  hash: string
}

/** Usage gathered in memory and written in one batch. */
export interface ApiKeyUsage {
  id: string
  count: number
  lastUsedAt: Date
}

/** Where API keys live (database table or Redis), chosen by AUTH_STORE. */
export interface ApiKeyStore {
  insert(key: StoredApiKey): Promise<void>
  /** Looks a key up by the hash of what the client sent. */
  findByHash(hash: string): Promise<StoredApiKey | undefined>
  find(id: string): Promise<ApiKeyRecord | undefined>
  /** Every key, newest first. */
  list(): Promise<ApiKeyRecord[]>
  /** Marks the key revoked; false when no key has this id. */
  revoke(id: string, at: Date): Promise<boolean>
  /** Adds the counts and moves last-used forward (never back), atomically per key. */
  recordUsage(usage: ApiKeyUsage[]): Promise<void>
}
