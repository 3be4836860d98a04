/**
 * Key and field layout of the Redis checkpointer.
 *
 * A thread owns a fixed set of five keys whatever its number of checkpoints
 * or namespaces, so refreshing the TTL of a whole thread on every write costs
 * five EXPIREs, and deleting a thread is one DEL. Namespaces, checkpoint ids,
 * channels and task ids live in hash fields and sorted-set members instead of
 * key names:
 *
 * ```
 * <prefix>checkpoint:threads                 ZSET  thread id -> expiry (ms, +inf without TTL)
 * <prefix>checkpoint:thread:<t>:checkpoints  HASH  <ns>|<id> -> checkpoint record (JSON)
 * <prefix>checkpoint:thread:<t>:order        ZSET  <ns>|<id>, score 0: ids sorted lexicographically
 * <prefix>checkpoint:thread:<t>:blobs        HASH  <ns>|<channel>|<version> -> channel value
 * <prefix>checkpoint:thread:<t>:writes       HASH  <ns>|<id>|<task>|<idx> -> pending write
 * <prefix>checkpoint:thread:<t>:write_index  ZSET  <ns>|<id>|<task>|<idx>, score 0: writes by checkpoint
 * ```
 *
 * Every segment is URI-encoded, so the `|` separator never occurs inside one
 * and every member is ASCII (below `\xff`, the open upper bound of lex ranges).
 * Checkpoint ids are uuid6, whose lexicographic order is their time order, so
 * ZREVRANGEBYLEX on `order` lists a namespace newest first.
 */
export class RedisCheckpointKeys {
  constructor(private readonly prefix: string) {}

  /** The registry of threads, used only by `list()` without a thread id. */
  get threads(): string {
    return `${this.prefix}checkpoint:threads`
  }

  thread(threadId: string): ThreadKeys {
    const base = `${this.prefix}checkpoint:thread:${encode(threadId)}:`
    return {
      checkpoints: `${base}checkpoints`,
      order: `${base}order`,
      blobs: `${base}blobs`,
      writes: `${base}writes`,
      writeIndex: `${base}write_index`,
    }
  }
}

export interface ThreadKeys {
  checkpoints: string
  order: string
  blobs: string
  writes: string
  writeIndex: string
}

/** Every key of a thread: what EXPIRE refreshes and DEL removes. */
export function allThreadKeys(keys: ThreadKeys): string[] {
  return [keys.checkpoints, keys.order, keys.blobs, keys.writes, keys.writeIndex]
}

const SEPARATOR = '|'
/** Above every byte an encoded segment can contain: the open end of a lex range. */
const HIGHEST = '\xff'

export function encode(segment: string): string {
  return encodeURIComponent(segment)
}

export function checkpointField(ns: string, checkpointId: string): string {
  return `${encode(ns)}${SEPARATOR}${encode(checkpointId)}`
}

export function parseCheckpointField(field: string): { ns: string; id: string } {
  const [ns, id] = field.split(SEPARATOR)
  return { ns: decodeURIComponent(ns), id: decodeURIComponent(id) }
}

export function blobField(ns: string, channel: string, version: string | number): string {
  return [encode(ns), encode(channel), encode(String(version))].join(SEPARATOR)
}

export function writeField(ns: string, checkpointId: string, taskId: string, idx: number): string {
  return [encode(ns), encode(checkpointId), encode(taskId), String(idx)].join(SEPARATOR)
}

/** ZRANGEBYLEX bounds `[min, max]` matching every member that starts with `prefix|`. */
export function prefixRange(...segments: string[]): { min: string; max: string } {
  const prefix = segments.map(encode).join(SEPARATOR) + SEPARATOR
  return { min: `[${prefix}`, max: `[${prefix}${HIGHEST}` }
}

/** Exclusive upper bound: members of namespace `ns` whose id sorts before `checkpointId`. */
export function beforeBound(ns: string, checkpointId: string): string {
  return `(${checkpointField(ns, checkpointId)}`
}
