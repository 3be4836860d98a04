import { tool } from '@langchain/core/tools'
import { createReactAgent } from '@langchain/langgraph/prebuilt'
import { z } from 'zod'
import { resolveLlmManager } from '../../framework/llm/llm_runtime'

const wordCount = tool(async ({ text }) => String(text.split(/\s+/).filter(Boolean).length), {
  name: 'word_count',
  description: 'Counts the words of a text',
  schema: z.object({ text: z.string().describe('The text whose words to count') }),
})

/**
 * A graph built with LangGraph's own prebuilt ReAct agent rather than
 * Langvel's builder, served with `Route.graph('/words', wordCountGraph)`:
 * the model may call the `word_count` tool, then answers. It uses the model
 * LLM_PROVIDER configures (the offline `fake` driver by default, which calls
 * the tool when the question mentions words or counting).
 *
 * A factory rather than a graph built at import time: the configured model is
 * known once the application has booted.
 *
 * @example
 * Route.graph('/words', wordCountGraph).name('words')
 */
export function wordCountGraph() {
  return createReactAgent({
    llm: resolveLlmManager().chatModel(),
    tools: [wordCount],
    prompt: 'You count words. Use the word_count tool on the text the user gives, then answer with the count.',
    name: 'word_count',
  })
}
