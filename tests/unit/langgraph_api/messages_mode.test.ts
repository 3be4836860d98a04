import { AIMessage, AIMessageChunk, HumanMessage } from '@langchain/core/messages'
import { MessagesMode } from '../../../framework/langgraph_api/messages_mode'

describe('MessagesMode', () => {
  it('does not send messages or chunks without an id, and completes each message once', () => {
    const mode = new MessagesMode()
    expect(mode.chunk(new AIMessageChunk({ content: 'to' }), {})).toEqual([])
    expect(mode.update({ messages: [new AIMessage({ content: 'no id' })] })).toEqual([])
    const human = new HumanMessage({ content: 'hi', id: 'h1' })
    expect(mode.values({ messages: [human] }).map(([event]) => event)).toEqual(['messages/complete'])
    expect(mode.values({ messages: [human] })).toEqual([])
    expect(mode.chunk(new AIMessageChunk({ content: 'he', id: 'a1' }), { langgraph_node: 'answer' }).map(([event]) => event)).toEqual(['messages/metadata', 'messages/partial'])
    expect(mode.chunk(new AIMessageChunk({ content: 'llo', id: 'a1' }), {})).toEqual([['messages/partial', [expect.objectContaining({ content: 'hello', id: 'a1' })]]])
    expect(mode.update({ messages: [new AIMessage({ content: 'hello', id: 'a1' })] }).map(([event]) => event)).toEqual(['messages/complete'])
    expect(mode.values({ messages: [human, new AIMessage({ content: 'hello', id: 'a1' })] })).toEqual([])
  })
})
