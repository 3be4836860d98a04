import { DynamicStructuredTool } from '@langchain/core/tools'
import { z } from 'zod'
import { defineTool, ToolRegistry } from '../../../framework/tools'

const add = defineTool({ name: 'add', description: 'Adds two numbers', schema: z.object({ a: z.number(), b: z.number() }), handler: ({ a, b }) => a + b })
const upper = defineTool({ name: 'upper', description: 'Upper-cases text', schema: z.object({ text: z.string() }), handler: ({ text }) => text.toUpperCase() })

describe('ToolRegistry', () => {
  it('finds tools by name and lists them in registration order', () => {
    const tools = new ToolRegistry([add, upper])

    expect(tools.get('upper')).toBe(upper)
    expect(tools.has('add')).toBe(true)
    expect(tools.names()).toEqual(['add', 'upper'])
    expect(tools.list()).toEqual([add, upper])
    expect(tools.size).toBe(2)
  })

  it('throws E_TOOL_NOT_FOUND for a tool the agent does not have, naming the available ones', () => {
    const tools = new ToolRegistry([add])

    expect(() => tools.get('delete_everything')).toThrow(expect.objectContaining({ code: 'E_TOOL_NOT_FOUND', details: { available: ['add'] } }))
  })

  it('refuses two tools with the same name', () => {
    expect(() => new ToolRegistry([add, add])).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
  })

  it('calls a tool by name and rejects (not throws) for an unknown one', async () => {
    const tools = new ToolRegistry().register(add)

    await expect(tools.call('add', { a: 2, b: 3 })).resolves.toBe(5)
    await expect(tools.call('missing', {})).rejects.toMatchObject({ code: 'E_TOOL_NOT_FOUND' })
  })

  it('converts every tool for a model', () => {
    const converted = new ToolRegistry([add, upper]).toLangChain()

    expect(converted.map((t) => t.name)).toEqual(['add', 'upper'])
    for (const tool of converted) expect(tool).toBeInstanceOf(DynamicStructuredTool)
  })
})
