import { z } from 'zod'
import { defineState, reducers } from '../../../framework/agents'
import { Exception } from '../../../framework/errors'

const State = defineState({
  query: z.string().min(1),
  count: z.number().int().default(0),
  tags: reducers.append(z.string()),
  scores: reducers.merge(z.number()),
  note: z.string().optional(),
})

function caught(fn: () => unknown): Exception {
  try {
    fn()
  } catch (error) {
    return error as Exception
  }
  throw new Error('expected an error')
}

describe('defineState', () => {
  it('validates input and returns only the keys the caller sent, parsed', () => {
    expect(State.validateInput({ query: 'hi', extra: 1 })).toEqual({ query: 'hi' })
    expect(State.validateInput({ query: 'hi', tags: ['a'] })).toEqual({ query: 'hi', tags: ['a'] })
  })

  it('rejects invalid input with E_VALIDATION listing every bad field with its path', () => {
    const error = caught(() => State.validateInput({ query: '', count: 1.5, tags: ['ok', 3] }))
    expect(error.code).toBe('E_VALIDATION')
    expect(error.status).toBe(422)
    const paths = (error.details as Array<{ path: string; message: string }>).map((d) => d.path).sort()
    expect(paths).toEqual(['count', 'query', 'tags.1'])
    for (const detail of error.details as Array<{ message: string }>) expect(detail.message).toEqual(expect.any(String))
  })

  it('requires required keys and rejects input that is not an object', () => {
    expect((caught(() => State.validateInput({})).details as Array<{ path: string }>).map((d) => d.path)).toEqual(['query'])
    expect(caught(() => State.validateInput('text')).code).toBe('E_VALIDATION')
  })

  it('validates patches with every key optional', () => {
    expect(State.validatePatch({ note: 'n' })).toEqual({ note: 'n' })
    expect(caught(() => State.validatePatch({ count: 'x' })).code).toBe('E_VALIDATION')
  })

  it('knows which keys have reducers and which keep the last write', () => {
    expect(State.reducer('tags')?.kind).toBe('append')
    expect(State.reducer('scores')?.kind).toBe('merge')
    expect(State.reducer('query')).toBeUndefined()
    expect(State.defaultOf('count')?.()).toBe(0)
    expect(State.defaultOf('note')).toBeUndefined()
  })

  it('gives every run a fresh reducer initial value', () => {
    const spec = State.reducer('tags')!
    const first = spec.initial() as string[]
    first.push('leak')
    expect(spec.initial()).toEqual([])
  })

  it('refuses reserved and LangGraph-invalid keys', () => {
    expect(caught(() => defineState({ __langvel_loops: z.number() })).code).toBe('E_INVALID_NAME')
    expect(caught(() => defineState({ 'a:b': z.number() })).code).toBe('E_INVALID_NAME')
  })

  it('supports custom reducers with their own update type', () => {
    const Sum = defineState({ total: reducers.custom(z.number(), (a, b: number) => a + b, () => 0) })
    const spec = Sum.reducer('total')!
    expect(spec.fn(spec.fn(spec.initial(), 2), 3)).toBe(5)
  })
})
