import type { DynamicStructuredTool } from '@langchain/core/tools'
import { E_INVALID_NAME, E_TOOL_NOT_FOUND } from '../errors'
import type { Tool } from './tool'
import type { ToolCallOptions } from './types'

// Registries hold tools of every input/output type.
type AnyTool = Tool<any, any>

/**
 * The tools one agent may call, by name. A model asking for a tool the agent
 * does not have gets E_TOOL_NOT_FOUND, never another agent's tool.
 *
 * @example
 * const tools = new ToolRegistry([searchDocsTool, lookupOrderTool])
 * await tools.call('search_docs', { query: 'redis' }, { signal })
 * model.bindTools(tools.toLangChain())
 */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>()

  constructor(tools: Iterable<AnyTool> = []) {
    for (const tool of tools) this.register(tool)
  }

  /** Adds a tool; a second tool with the same name is a mistake, not an override. */
  register(tool: AnyTool): this {
    if (this.tools.has(tool.name)) throw new E_INVALID_NAME('tool', tool.name, 'a tool with this name is already registered')
    this.tools.set(tool.name, tool)
    return this
  }

  has(name: string): boolean {
    return this.tools.has(name)
  }

  /** Throws E_TOOL_NOT_FOUND for an unknown name. */
  get(name: string): AnyTool {
    const tool = this.tools.get(name)
    if (!tool) throw new E_TOOL_NOT_FOUND(name, { details: { available: this.names() } })
    return tool
  }

  /** Tools in registration order. */
  list(): AnyTool[] {
    return [...this.tools.values()]
  }

  names(): string[] {
    return [...this.tools.keys()]
  }

  get size(): number {
    return this.tools.size
  }

  call(name: string, input: unknown, options?: ToolCallOptions): Promise<unknown> {
    try {
      return this.get(name).call(input, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Every tool as a LangChain tool, for `model.bindTools()` or a ToolNode. */
  toLangChain(): DynamicStructuredTool[] {
    return this.list().map((tool) => tool.toLangChain())
  }
}
