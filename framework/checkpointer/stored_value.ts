/**
 * A serializer output (`[type, bytes]`) as it is kept inside a JSON record in
 * Redis. JSON payloads stay readable text (what `redis-cli` shows is what was
 * saved); anything else is base64 so binary values survive intact.
 */
export interface StoredValue {
  /** Serializer type (`json`, `bytes`...) or `empty` for a channel without a value. */
  t: string
  d?: string
  /** Present when `d` is base64. */
  b?: 1
}

export function storeValue([type, bytes]: [string, Uint8Array]): StoredValue {
  if (type === 'json') return { t: type, d: Buffer.from(bytes).toString('utf8') }
  return { t: type, d: Buffer.from(bytes).toString('base64'), b: 1 }
}

export function storedBytes(value: StoredValue): Uint8Array | string {
  if (value.b) return new Uint8Array(Buffer.from(value.d ?? '', 'base64'))
  return value.d ?? ''
}
