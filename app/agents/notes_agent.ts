import { Agent, type GraphBuilder } from '../../framework/agents'
import { toolLoop } from '../../framework/llm/tool_loop'
import { mcpTools } from '../../framework/mcp'
import { NotesState } from '../state/notes_state'

const SYSTEM = [
  'You keep the user\'s notes with the tools of the notes server:',
  'add_note saves a note, list_notes shows them all, search_notes finds the ones about a subject.',
  'Answer briefly from what the tools return; never claim a note was saved unless add_note returned it.',
].join(' ')

/**
 * A conversation with the model, which calls the tools of the `notes` MCP
 * server (app/mcp/notes_server.ts, declared in config/mcp.ts) until it can answer:
 * model -> tools -> model, at most 5 steps. The server is started on first
 * use (at boot under `langvel serve`). Runs on whatever LLM_PROVIDER
 * configures; with the offline `fake` driver, "list my notes" calls
 * list_notes and "add a note: buy milk" calls add_note.
 *
 * @example
 * npx langvel agent:run /notes --input '{"messages":[{"role":"user","content":"add a note: buy milk"}]}'
 */
export class NotesAgent extends Agent<typeof NotesState> {
  state = NotesState
  description = 'Keeps notes in the example MCP server: the model adds, lists and searches them with its tools'
  tools = [mcpTools('notes')]

  build(graph: GraphBuilder<typeof NotesState>) {
    return graph.then(toolLoop({ tools: this.tools, system: SYSTEM }))
  }
}
