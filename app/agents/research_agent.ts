import { Agent, type GraphBuilder } from '../../framework/agents'
import { ResearchState, type Research } from '../state/research_state'

/** Three sources in parallel, then one merge that summarizes every finding. */
export class ResearchAgent extends Agent<typeof ResearchState> {
  state = ResearchState
  description = 'Researches a topic from several sources at once and summarizes'

  build(graph: GraphBuilder<typeof ResearchState>) {
    return graph.parallel(this.searchWeb, this.searchPapers, this.searchNews).merge(this.summarize)
  }

  searchWeb(state: Research) {
    return { findings: { web: `web articles introducing ${state.topic}` } }
  }

  searchPapers(state: Research) {
    return { findings: { papers: `peer-reviewed papers on ${state.topic}` } }
  }

  searchNews(state: Research) {
    return { findings: { news: `recent news about ${state.topic}` } }
  }

  summarize(state: Research) {
    const parts = Object.keys(state.findings)
      .sort()
      .map((source) => `${source}: ${state.findings[source]}`)
    return { summary: `Research on ${state.topic} — ${parts.join('; ')}` }
  }
}
