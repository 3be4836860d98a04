import type { StateSnapshot } from '@langchain/langgraph'
import { AIMessage } from '@langchain/core/messages'
import { emptyState, presentSnapshot, presentThread, presentValues } from '../../../framework/langgraph_api/presenters'

const snapshot = (overrides: Partial<StateSnapshot> = {}): StateSnapshot =>
  ({
    values: { query: 'hi', __langvel_internal: 1, messages: [new AIMessage({ content: 'yes', id: 'm1' })] },
    next: ['approval'],
    config: { configurable: { thread_id: '/approval:t-1', checkpoint_ns: '', checkpoint_id: 'c2' } },
    parentConfig: { configurable: { thread_id: '/approval:t-1', checkpoint_ns: '', checkpoint_id: 'c1' } },
    metadata: { source: 'loop', step: 2, thread_id: '/approval:t-1', __langvel_thread_id: 't-1' },
    createdAt: '2026-01-01T00:00:00.000Z',
    tasks: [{ id: 'task-1', name: 'approval', interrupts: [{ id: 'i-1', value: { ask: 'ok?' } }] }],
    ...overrides,
  }) as unknown as StateSnapshot

describe('LangGraph API presenters', () => {
  it("shows a snapshot as the protocol's ThreadState, under the caller's thread id", () => {
    const state = presentSnapshot(snapshot(), 't-1')
    expect(state).toEqual({
      values: { query: 'hi', messages: [{ type: 'ai', content: 'yes', id: 'm1' }] },
      next: ['approval'],
      tasks: [{ id: 'task-1', name: 'approval', path: null, error: null, interrupts: [{ id: 'i-1', value: { ask: 'ok?' } }], checkpoint: null, state: null, result: null }],
      metadata: { source: 'loop', step: 2, thread_id: 't-1' },
      created_at: '2026-01-01T00:00:00.000Z',
      checkpoint: { thread_id: 't-1', checkpoint_ns: '', checkpoint_id: 'c2', checkpoint_map: null },
      parent_checkpoint: { thread_id: 't-1', checkpoint_ns: '', checkpoint_id: 'c1', checkpoint_map: null },
    })
  })

  it('shows the state of a subgraph task, and a failed task by its message', () => {
    const inner = snapshot({ tasks: [] })
    const state = presentSnapshot(snapshot({ tasks: [{ id: 't', name: 'child', interrupts: [], state: inner, error: new Error('bad') }] as never }), 't-1')
    expect((state.tasks as Array<Record<string, unknown>>)[0]).toMatchObject({ error: 'bad', state: { checkpoint: { checkpoint_id: 'c2' } } })
  })

  it('adds __interrupt__ to values only when the run stopped at interrupts', () => {
    expect(presentValues({ a: 1 })).toEqual({ a: 1 })
    expect(presentValues({ a: 1 }, [{ id: 'i', value: 2, node: 'ask' }])).toEqual({ a: 1, __interrupt__: [{ id: 'i', value: 2 }] })
  })

  it('gives a thread without checkpoints an empty state', () => {
    expect(emptyState('t')).toMatchObject({ values: {}, next: [], tasks: [], checkpoint: { thread_id: 't', checkpoint_id: null } })
  })

  it('shows a stored thread with ISO times and empty values before its first run', () => {
    const thread = presentThread({ threadId: 't', owner: null, assistantId: null, route: null, metadata: { a: 1 }, status: 'idle', values: null, interrupts: null, error: null, createdAt: 0, updatedAt: 1000 })
    expect(thread).toMatchObject({ thread_id: 't', created_at: '1970-01-01T00:00:00.000Z', updated_at: '1970-01-01T00:00:01.000Z', values: {}, interrupts: {}, status: 'idle' })
  })
})
