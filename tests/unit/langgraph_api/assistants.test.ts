import type { AgentRouteInfo } from '../../../framework/contracts/agent_run'
import { AssistantCatalog, presentAssistant } from '../../../framework/langgraph_api/assistants'

const route = (path: string, name?: string): AgentRouteInfo => ({ path, name, agent: 'EchoAgent', middleware: [], checkpointer: 'memory', interrupts: [], tools: [] })

describe('AssistantCatalog', () => {
  const catalog = new AssistantCatalog([route('/echo', 'echo'), route('/support/billing')])

  it('names each route by its route name, or its path without the leading slash', () => {
    expect(catalog.entries.map((entry) => entry.id)).toEqual(['echo', 'support/billing'])
  })

  it("finds an assistant by its id and by LangGraph's UUID of the graph id", () => {
    expect(catalog.get('echo').route.path).toBe('/echo')
    // uuid5('echo', 6ba7b821-9dad-11d1-80b4-00c04fd430c8): what the reference server gives the graph's assistant.
    expect(catalog.get('046b5dc7-2108-582c-9c6c-31d556d138f0').id).toBe('echo')
    expect(catalog.find(catalog.entries[1].uuid)?.id).toBe('support/billing')
  })

  it('refuses an unknown id with E_NOT_FOUND (404)', () => {
    expect(() => catalog.get('nope')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND', status: 404 }))
  })

  it('presents an assistant in the protocol shape: graph id, name and version from the route', () => {
    expect(presentAssistant(catalog.get('echo'))).toMatchObject({ assistant_id: 'echo', graph_id: 'echo', name: 'echo', version: 1, config: {}, metadata: { path: '/echo' } })
  })
})
