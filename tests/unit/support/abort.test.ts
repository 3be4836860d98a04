import { E_TIMEOUT } from '../../../framework/errors'
import { abortError } from '../../../framework/support/abort'

function aborted(reason?: unknown): AbortSignal {
  const controller = new AbortController()
  controller.abort(reason)
  return controller.signal
}

describe('abortError', () => {
  it('keeps a Langvel exception given as the abort reason', () => {
    const timeout = new E_TIMEOUT(30)
    expect(abortError(aborted(timeout))).toBe(timeout)
  })

  it('turns any other reason into E_ABORTED, keeping the reason as its cause', () => {
    const plain = new Error('client went away')
    const error = abortError(aborted(plain))
    expect(error).toMatchObject({ code: 'E_ABORTED', status: 499, cause: plain })
    expect(error.message).toContain('client went away')
    expect(abortError(aborted('shutting down')).message).toContain('shutting down')
  })

  it('gives E_ABORTED for a signal aborted without a reason of its own', () => {
    expect(abortError(aborted())).toMatchObject({ code: 'E_ABORTED' })
  })
})
