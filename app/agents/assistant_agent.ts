import { Agent, type GraphBuilder } from '../../framework/agents'
import { AssistantState, type Assistant } from '../state/assistant_state'

/** A fact told in a message: the memory key it is kept under and the sentence remembered. */
interface Fact {
  key: string
  text: string
}

/** "remember that ...": the whole clause is the fact. */
const NOTE = /\bremember that (.+)/i

/**
 * The patterns a fact is taken from, each tried on every sentence of a
 * message. Plain patterns, not the model: what is remembered must not depend
 * on which model is configured (the offline fake only echoes).
 */
const PATTERNS: Array<{ pattern: RegExp; fact: (value: string, subject: string) => Fact }> = [
  { pattern: /\bcall me (.+)/i, fact: (value) => ({ key: 'name', text: `The user's name is ${value}` }) },
  { pattern: /\bI live in (.+)/i, fact: (value) => ({ key: 'home', text: `The user lives in ${value}` }) },
  { pattern: /\bI (?:really )?(?:like|love|enjoy) (.+)/i, fact: (value) => ({ key: `likes-${slug(value)}`, text: `The user likes ${value}` }) },
  { pattern: /\bmy ([a-z][a-z ]{0,30}?) is (.+)/i, fact: (value, subject) => ({ key: slug(subject), text: `The user's ${subject.toLowerCase()} is ${value}` }) },
]

/** Longest fact value kept: a sentence, not a document. */
const MAX_VALUE = 200

const SYSTEM = [
  'You are a friendly assistant that remembers what the user tells you across conversations.',
  'Use the facts and earlier conversations below when they help; never invent facts about the user.',
].join(' ')

/**
 * A conversational assistant with long-term memory: facts the user states
 * ("my name is Ada", "I live in Lyon", "I like jazz", "remember that my
 * flight is on Friday") are remembered for that user, and recalled in any
 * later thread ("what is my name?"). Each finished turn also leaves a summary
 * of the thread (episodic memory), recalled in later threads.
 *
 * Memory belongs to the run's principal, so the route is behind `auth`. The
 * output says what was remembered and recalled, whatever the model answers.
 *
 * @example
 * curl -X POST localhost:3000/agents/assistant -H "Authorization: Bearer $TOKEN" -d '{"input":{"message":"my name is Ada"}}'
 * curl -X POST localhost:3000/agents/assistant -H "Authorization: Bearer $TOKEN" -d '{"input":{"message":"what is my name?"}}'
 */
export class AssistantAgent extends Agent<typeof AssistantState> {
  state = AssistantState
  description = 'A conversational assistant that remembers what each user tells it, across threads'
  episodicMemory = true
  /** What is sent to the model of a long thread is cut to this budget; the thread keeps everything. */
  workingMemory = { maxTokens: 4000 }

  build(graph: GraphBuilder<typeof AssistantState>) {
    return graph.then(this.listen).then(this.recall).then(this.answer)
  }

  /** Adds the message to the conversation and remembers the facts it states. */
  async listen(state: Assistant) {
    const facts = extractFacts(state.message)
    for (const fact of facts) await this.memory.remember(fact.key, fact.text)
    return { messages: [{ role: 'user', content: state.message }], remembered: facts.map((fact) => fact.text) }
  }

  /** What the user's memory holds about this message: facts, and summaries of earlier threads. */
  async recall(state: Assistant) {
    const facts = await this.memory.recall(state.message, { limit: 5 })
    const episodes = await this.memory.episodes(state.message, { limit: 2 })
    return { recalled: facts.map((fact) => String(fact.value)), episodes: episodes.map((episode) => episode.summary) }
  }

  async answer(state: Assistant) {
    const known = (state.recalled ?? []).map((fact) => `- ${fact}`)
    const earlier = (state.episodes ?? []).map((summary) => `- ${summary}`)
    const system = [SYSTEM, known.length ? `Facts about the user:\n${known.join('\n')}` : '', earlier.length ? `Earlier conversations:\n${earlier.join('\n')}` : '']
      .filter(Boolean)
      .join('\n\n')
    const response = await this.llm.invoke(state.messages, { system })
    return { messages: [response.message], reply: response.text }
  }
}

/** The facts a message states, one per memory key (the last one wins). */
export function extractFacts(message: string): Fact[] {
  const facts = new Map<string, Fact>()
  const add = (fact: Fact) => facts.set(fact.key, fact)
  for (const sentence of message.split(/[.!?;\n]+/)) {
    if (sentence.trim() === '' || isQuestion(sentence)) continue
    const note = NOTE.exec(sentence)
    if (note) {
      const value = clean(note[1], true)
      if (value) add({ key: `note-${slug(value)}`, text: capitalize(value) })
      continue
    }
    for (const { pattern, fact } of PATTERNS) {
      const match = pattern.exec(sentence)
      if (!match) continue
      const [value, subject] = match.length > 2 ? [match[2], match[1].trim()] : [match[1], '']
      const cleaned = clean(value, false)
      if (cleaned) add(fact(cleaned, subject))
    }
  }
  return [...facts.values()]
}

/** "what is my name", "is my name Ada": questions state nothing. */
function isQuestion(sentence: string): boolean {
  return /^\s*(what|who|where|when|why|how|which|do|does|did|is|are|can|could|would|will)\b/i.test(sentence)
}

/** The value of a fact: up to a comma or "and" (unless the whole clause is wanted), trimmed and bounded. */
function clean(value: string, whole: boolean): string {
  const clause = whole ? value : value.split(/,|\s+and\s+|\s+but\s+/i)[0]
  return clause.trim().replace(/\s+/g, ' ').slice(0, MAX_VALUE)
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'fact'
  )
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
