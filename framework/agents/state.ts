import { z, type ZodType } from 'zod'
import type { OverwriteValue } from '@langchain/langgraph'
import { E_INVALID_NAME, E_VALIDATION } from '../errors'
import { reducerOf, type ReducerSpec } from './reducers'

export type StateShape = Record<string, ZodType>

/** Prefix of the keys Langvel keeps in graph state for itself (loop counters, resume values). */
export const RESERVED_PREFIX = '__langvel'

export interface FieldIssue {
  /** Dotted path of the bad field (`items.2`); empty for the input as a whole. */
  path: string
  message: string
}

/**
 * A graph state declared as a zod shape, with per-key reducers. Built once per
 * state declaration: the input and patch schemas used on every run are
 * prebuilt here, never per request.
 *
 * @example
 * const EchoState = defineState({ query: z.string(), response: z.string().optional() })
 * type Echo = StateOf<typeof EchoState>   // { query: string; response?: string }
 */
export class StateDefinition<Shape extends StateShape = StateShape> {
  readonly shape: Shape
  /** The whole state: required keys are required in a run's first input. */
  readonly schema: z.ZodObject<Shape>
  readonly keys: readonly string[]
  private readonly patchSchema: ZodType
  private readonly specs = new Map<string, ReducerSpec>()
  private readonly defaults = new Map<string, () => unknown>()

  constructor(shape: Shape) {
    for (const key of Object.keys(shape)) {
      if (key.startsWith('__')) throw new E_INVALID_NAME('state key', key, `keys starting with "__" are reserved (Langvel uses ${RESERVED_PREFIX}_*)`)
      if (key.includes(':') || key.includes('|')) throw new E_INVALID_NAME('state key', key, '":" and "|" are reserved by LangGraph')
    }
    this.shape = shape
    this.schema = z.object(shape)
    this.patchSchema = this.schema.partial()
    this.keys = Object.freeze(Object.keys(shape))
    for (const [key, field] of Object.entries(shape)) {
      const spec = reducerOf(field)
      if (spec) this.specs.set(key, spec)
      else {
        // A zod `.default()` becomes the channel's initial value, computed fresh per run.
        const probe = field.safeParse(undefined)
        if (probe.success && probe.data !== undefined) this.defaults.set(key, () => field.parse(undefined))
      }
    }
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.shape, key)
  }

  reducer(key: string): ReducerSpec | undefined {
    return this.specs.get(key)
  }

  /** Initial value factory of a last-write-wins key with a zod default. */
  defaultOf(key: string): (() => unknown) | undefined {
    return this.defaults.get(key)
  }

  /**
   * Validates a run's input against the state schema. Returns the parsed value
   * of each key the caller sent (and only those: filling zod defaults here
   * would overwrite a continuing thread's values). Unknown keys are dropped.
   * Throws E_VALIDATION whose `details` lists every bad field.
   */
  validateInput(input: unknown): UpdateOf<StateDefinition<Shape>> {
    return this.parse(this.schema, input, 'input') as UpdateOf<StateDefinition<Shape>>
  }

  /** Like validateInput, for `updateState` patches: every key is optional. */
  validatePatch(patch: unknown): UpdateOf<StateDefinition<Shape>> {
    return this.parse(this.patchSchema, patch, 'state patch') as UpdateOf<StateDefinition<Shape>>
  }

  private parse(schema: ZodType, input: unknown, what: string): Record<string, unknown> {
    const raw = input ?? {}
    const result = schema.safeParse(this.listMessages(raw))
    if (!result.success) throw validationError(what, result.error)
    const parsed = result.data as Record<string, unknown>
    const sent: Record<string, unknown> = {}
    for (const key of Object.keys(raw)) {
      if (this.has(key) && parsed[key] !== undefined) sent[key] = parsed[key]
    }
    return sent
  }

  /**
   * LangChain's messages reducer takes one message-like (a bare string, a
   * single message object) as well as a list: a messages key given one is
   * checked, and passed on, as a list of one.
   */
  private listMessages(raw: unknown): unknown {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw
    let out: Record<string, unknown> | undefined
    for (const [key, spec] of this.specs) {
      const value = (raw as Record<string, unknown>)[key]
      if (spec.kind !== 'messages' || !(typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value)))) continue
      out ??= { ...(raw as Record<string, unknown>) }
      out[key] = [value]
    }
    return out ?? raw
  }
}

export type AnyStateDefinition = StateDefinition<any>

/** E_VALIDATION whose `details` lists each bad field (path + message). */
export function validationError(what: string, error: z.ZodError): InstanceType<typeof E_VALIDATION> {
  const details: FieldIssue[] = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
  const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')
  return new E_VALIDATION(`Invalid ${what}: ${summary}`, { details })
}

/** Declares a graph state. See {@link StateDefinition} and {@link reducers}. */
export function defineState<Shape extends StateShape>(shape: Shape): StateDefinition<Shape> {
  return new StateDefinition(shape)
}

/** The full state type nodes receive. */
export type StateOf<D> = D extends StateDefinition<infer Shape> ? z.output<z.ZodObject<Shape>> : never

type FieldUpdate<F> = F extends { readonly '~reducerInput': infer I } ? I | OverwriteValue<z.output<F>> : z.output<F>

/** A partial update a node returns: reducer keys take their reducer's input type. */
export type UpdateOf<D> = D extends StateDefinition<infer Shape> ? { [K in keyof Shape]?: FieldUpdate<Shape[K]> } : never

/** The raw input a run accepts (zod input types: defaulted keys optional). */
export type InputOf<D> = D extends StateDefinition<infer Shape> ? z.input<z.ZodObject<Shape>> : never
