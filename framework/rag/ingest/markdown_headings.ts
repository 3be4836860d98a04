/** An ATX heading line: `## Title`, up to three spaces of indent, closing hashes dropped. */
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/

/** A fence line opening or closing a code block (```` ``` ```` or `~~~`), whose `#` lines are code, not headings. */
const FENCE = /^ {0,3}(`{3,}|~{3,})/

/**
 * The headings of a Markdown text, to name the section each chunk comes
 * from: `trailAt(line)` is the chain of headings in force at a 1-based line
 * (`Ingestion > Skipped files`), or undefined before the first heading.
 * Lines inside fenced code blocks are not headings (`# install` in a bash
 * block).
 *
 * @example
 * markdownHeadings('# Guide\n\n## Install\n\ntext').trailAt(5) // 'Guide > Install'
 */
export function markdownHeadings(text: string): { trailAt(line: number): string | undefined } {
  const trails: Array<{ line: number; trail: string }> = []
  const stack: Array<{ level: number; title: string }> = []
  let fence: string | undefined
  text.split('\n').forEach((content, index) => {
    const fenceMatch = FENCE.exec(content)
    if (fenceMatch) {
      const marker = fenceMatch[1]
      if (fence === undefined) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      return
    }
    if (fence !== undefined) return
    const heading = HEADING.exec(content)
    if (!heading || heading[2].trim() === '') return
    const level = heading[1].length
    while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop()
    stack.push({ level, title: heading[2].trim() })
    trails.push({ line: index + 1, trail: stack.map((entry) => entry.title).join(' > ') })
  })
  return {
    trailAt(line) {
      let found: string | undefined
      for (const entry of trails) {
        if (entry.line > line) break
        found = entry.trail
      }
      return found
    },
  }
}
