import { parseDuration } from '../../../framework/config'

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
    ['1w', 604800],
    ['500ms', 0.5],
  ])('reads %s as %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds)
  })

  it.each(['', 'soon', '1y', '-5s', '0', '1h30m'])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeUndefined()
  })
})
