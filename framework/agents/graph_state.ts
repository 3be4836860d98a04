import { messagesStateReducer, ReducedValue, StateSchema, UntrackedValue } from '@langchain/langgraph'
import { BinaryOperatorAggregate } from '@langchain/langgraph/channels'
import { z, type ZodType } from 'zod'
import { reducers } from './reducers'
import { StateDefinition, type AnyStateDefinition, type StateShape } from './state'

/** The parts of a compiled StateGraph that Langvel reads (LangGraph keeps them on `graph.builder`). */
export interface StateGraphBuilderLike {
  channels: Record<string, unknown>
  /** The state schema the StateGraph was declared with (a zod object, a StateSchema), when it was declared with one. */
  _schemaRuntimeDefinition?: unknown
  /** The input schema, when the StateGraph was declared with a separate one. */
  _inputRuntimeDefinition?: unknown
  /** The context schema (`new StateGraph(State, ContextSchema)`, createReactAgent's `contextSchema`). */
  _configRuntimeSchema?: unknown
  compile(options?: Record<string, unknown>): unknown
}

/** A Standard Schema (zod 3 and 4, valibot, arktype...): what LangGraph's StateSchema fields are. */
interface StandardSchema {
  readonly '~standard': {
    validate(value: unknown): StandardResult | Promise<StandardResult>
  }
}
interface StandardResult {
  readonly issues?: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> }>
}

/** A key a StateDefinition can hold: LangGraph's own channels (`__start__`, `branch:...`) are not state. */
const STATE_KEY = /^(?!__)[^:|]+$/

/**
 * A Langvel state declaration mirroring the state of a graph built with
 * LangGraph directly, so runs of it are validated, listed and described like
 * any agent's: a key with LangChain's messages reducer accepts message-likes
 * (`{ type: 'human', content }`, `{ role: 'user', content }`, strings); a key
 * the graph declared with a schema (a zod 4 object's field, a `StateSchema`
 * field, a zod 3 field) is checked against it, as LangGraph itself will
 * (optional: a run's input may leave any key out); any other key (Annotation
 * state, custom reducers) accepts any value, and the graph's own reducers
 * take it from there. Zod 4 fields keep their type in the JSON Schemas.
 *
 * @example
 * const state = stateOfGraph(createReactAgent({ llm, tools }).builder) // { messages, structuredResponse }
 */
export function stateOfGraph(builder: StateGraphBuilderLike): AnyStateDefinition {
  const input = builder._inputRuntimeDefinition
  const declared = fieldsOf(isSchemaObject(input) ? input : builder._schemaRuntimeDefinition)
  const shape: StateShape = {}
  for (const [key, channel] of Object.entries(builder.channels ?? {})) {
    if (!STATE_KEY.test(key)) continue
    const reduced = channel instanceof BinaryOperatorAggregate
    if (reduced && (channel as unknown as { operator?: unknown }).operator === messagesStateReducer) {
      shape[key] = reducers.messages()
      continue
    }
    const field = declared?.get(key)
    // A reducer key of a zod object takes the reducer's input, which the object's field does not describe.
    shape[key] = field && (!reduced || field.forReducer) ? asInput(field.schema) : z.unknown().optional()
  }
  return new StateDefinition(shape)
}

/**
 * The context schema a graph declares, when it declares one LangGraph checks
 * (a zod object): every run's `context` must satisfy it.
 */
export function contextSchemaOf(builder: StateGraphBuilderLike): StandardSchema | undefined {
  const schema = builder._configRuntimeSchema
  return isStandard(schema) ? schema : undefined
}

/** The issues of `value` against a Standard Schema, as `path: message` lines; undefined when it passes or the schema only checks asynchronously. */
export function standardIssues(schema: StandardSchema, value: unknown): string[] | undefined {
  const result = schema['~standard'].validate(value)
  if (isPromise(result) || !result.issues?.length) return undefined
  return result.issues.map((issue) => {
    const path = pathOf(issue.path)
    return path ? `${path}: ${issue.message}` : issue.message
  })
}

interface DeclaredField {
  schema: unknown
  /** The schema describes what a write to the key takes (a StateSchema's ReducedValue input), not only the stored value. */
  forReducer: boolean
}

/** The fields of a zod object (4 or 3) or a LangGraph StateSchema; undefined for anything else (Annotation state). */
function fieldsOf(schema: unknown): Map<string, DeclaredField> | undefined {
  if (StateSchema.isInstance(schema)) {
    const fields = new Map<string, DeclaredField>()
    for (const [key, field] of Object.entries((schema as unknown as { fields: Record<string, unknown> }).fields)) {
      if (ReducedValue.isInstance(field)) fields.set(key, { schema: (field as { inputSchema?: unknown }).inputSchema, forReducer: true })
      else if (UntrackedValue.isInstance(field)) fields.set(key, { schema: (field as { schema?: unknown }).schema, forReducer: false })
      else fields.set(key, { schema: field, forReducer: false })
    }
    return fields
  }
  const shape = zodShape(schema)
  return shape ? new Map(Object.entries(shape).map(([key, field]) => [key, { schema: field, forReducer: false }])) : undefined
}

function isSchemaObject(schema: unknown): boolean {
  return StateSchema.isInstance(schema) || zodShape(schema) !== undefined
}

/** A zod object's fields: zod 4 (`shape`) or zod 3 (`_def.typeName === 'ZodObject'`). */
function zodShape(schema: unknown): Record<string, unknown> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, unknown>
  const legacy = schema as { _def?: { typeName?: unknown }; shape?: unknown } | null | undefined
  if (legacy?._def?.typeName === 'ZodObject' && typeof legacy.shape === 'object' && legacy.shape !== null) return legacy.shape as Record<string, unknown>
  return undefined
}

/**
 * A run's input for one declared field: a zod 4 schema as it is (so the JSON
 * Schemas show its type); any other Standard Schema (zod 3...) checked
 * through its `~standard` interface. Optional either way.
 */
function asInput(schema: unknown): ZodType {
  if (schema instanceof z.ZodType) return schema.optional()
  if (!isStandard(schema)) return z.unknown().optional()
  return z
    .unknown()
    .superRefine((value, ctx) => {
      const result = schema['~standard'].validate(value)
      // An asynchronous schema is left to LangGraph, which checks it when the run starts.
      if (isPromise(result)) return
      for (const issue of result.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: (issue.path ?? []).map(keyOf) })
    })
    .optional()
}

function isStandard(value: unknown): value is StandardSchema {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as Partial<StandardSchema>)['~standard']?.validate === 'function'
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function'
}

function keyOf(segment: PropertyKey | { readonly key: PropertyKey }): PropertyKey {
  return typeof segment === 'object' ? segment.key : segment
}

function pathOf(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string {
  return (path ?? []).map((segment) => String(keyOf(segment))).join('.')
}
