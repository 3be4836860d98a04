import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { toPlainValues } from '../../../framework/agents/plain_values'

describe('toPlainValues', () => {
  it('turns chat messages into plain { type, content } objects, tool calls included', () => {
    const values = {
      query: 'q',
      messages: [
        new HumanMessage({ content: 'hi', id: 'h1' }),
        new AIMessage({ content: '', id: 'a1', tool_calls: [{ name: 'search_docs', args: { query: 'x' }, id: 'c1', type: 'tool_call' }] }),
        new ToolMessage({ content: 'found', tool_call_id: 'c1', name: 'search_docs' }),
      ],
    }
    expect(JSON.parse(JSON.stringify(toPlainValues(values)))).toEqual({
      query: 'q',
      messages: [
        { type: 'human', content: 'hi', id: 'h1' },
        { type: 'ai', content: '', id: 'a1', tool_calls: [{ name: 'search_docs', args: { query: 'x' }, id: 'c1', type: 'tool_call' }] },
        { type: 'tool', content: 'found', name: 'search_docs', tool_call_id: 'c1' },
      ],
    })
  })

  it('leaves plain values, dates and nested arrays as they are', () => {
    const when = new Date(0)
    expect(toPlainValues({ a: [1, [2, { b: null }]], when })).toEqual({ a: [1, [2, { b: null }]], when })
    expect(toPlainValues('text')).toBe('text')
  })
})
