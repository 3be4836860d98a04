import { z, type ZodType } from 'zod'
import { messagesStateReducer, type Messages } from '@langchain/langgraph'
import { coerceMessageLikeToMessage, type BaseMessage, type BaseMessageLike } from '@langchain/core/messages'

/**
 * Type-only marker carrying the type a reducer accepts as an update. It never
 * exists at run time; it lets `UpdateOf<State>` type a `messages` update as
 * "one or more message-likes" while the stored value is `BaseMessage[]`.
 */
export type Reduced<S extends ZodType, Input> = S & { readonly '~reducerInput': Input }

export type ReducerKind = 'append' | 'merge' | 'messages' | 'custom'

export interface ReducerSpec {
  kind: ReducerKind
  fn: (current: any, update: any) => any
  /** A fresh initial value for every run (never a shared array or object). */
  initial: () => unknown
}

/*
 * Reducers are attached to the zod schema object itself, so a state shape stays
 * a plain zod shape (`z.object(shape)` still works and `z.infer` still infers).
 * A WeakMap, not zod metadata, because the registry must not leak schemas.
 */
const registry = new WeakMap<ZodType, ReducerSpec>()

/** The reducer declared for a schema, or undefined for last-write-wins keys. */
export function reducerOf(schema: ZodType): ReducerSpec | undefined {
  return registry.get(schema)
}

function declare<S extends ZodType, I>(schema: S, spec: ReducerSpec): Reduced<S, I> {
  registry.set(schema, spec)
  return schema as Reduced<S, I>
}

const appendArrays = (current: unknown[], update: unknown) => current.concat(update as unknown[])
const mergeObjects = (current: Record<string, unknown>, update: Record<string, unknown>) => ({ ...current, ...update })

// Input accepts message-likes (`{ role, content }`, `{ type, content }`, strings); the reducer turns them into BaseMessages.
// What LangChain cannot turn into a message (`{ foo: 1 }`, `{ role: 'wizard' }`) is refused here, naming the message.
const messageLike = z.custom<BaseMessage>().superRefine((value, ctx) => {
  if (typeof value === 'string') return
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected a message (a string, a message object or a LangChain BaseMessage)' })
    return
  }
  try {
    coerceMessageLikeToMessage(value as BaseMessageLike)
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a message LangChain can read: ${coercionProblem(error)}` })
  }
}) as unknown as z.ZodType<BaseMessage, BaseMessageLike>

/** The first line of LangChain's coercion error (the rest repeats the value and a troubleshooting link). */
function coercionProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].replace(/^Unable to coerce message from array: /, '')
}

/**
 * Per-key reducers: how concurrent or successive writes to one state key
 * combine. Keys without a reducer keep the last value written, and two
 * parallel nodes writing such a key in the same step is an error instead of a
 * silent overwrite. Declare reducers as the last call on a schema (a later
 * `.optional()` or `.describe()` returns a new schema without the reducer).
 *
 * @example
 * const ResearchState = defineState({
 *   topic: z.string(),
 *   notes: reducers.append(z.string()),          // string[]; updates are appended
 *   results: reducers.merge(z.number()),         // Record<string, number>; updates are merged
 *   messages: reducers.messages(),               // chat history; merged by message id
 *   total: reducers.custom(z.number(), (a, b: number) => a + b, () => 0),
 * })
 */
export const reducers = {
  /** An array whose updates are appended: parallel branches each add their items. */
  append<T extends ZodType>(item: T): Reduced<z.ZodDefault<z.ZodArray<T>>, z.output<T>[]> {
    return declare(z.array(item).default(() => []), { kind: 'append', fn: appendArrays, initial: () => [] })
  },

  /** A string-keyed record whose updates are shallow-merged: branches writing different keys all survive. */
  merge<T extends ZodType>(value: T): Reduced<z.ZodDefault<z.ZodRecord<z.ZodString, T>>, Record<string, z.output<T>>> {
    return declare(z.record(z.string(), value).default(() => ({})), { kind: 'merge', fn: mergeObjects, initial: () => ({}) })
  },

  /**
   * Chat history with LangGraph's message reducer: updates are appended, a
   * message with an existing id replaces it, and `RemoveMessage` deletes.
   */
  messages(): Reduced<z.ZodDefault<z.ZodArray<typeof messageLike>>, Messages> {
    return declare(z.array(messageLike).default(() => []), { kind: 'messages', fn: messagesStateReducer, initial: () => [] })
  },

  /** Any other combination; `initial` is called once per run for a fresh value. */
  custom<S extends ZodType, I = z.output<S>>(
    schema: S,
    reducer: (current: z.output<S>, update: I) => z.output<S>,
    initial: () => z.output<S>,
  ): Reduced<S, I> {
    return declare(schema, { kind: 'custom', fn: reducer, initial })
  },
}
