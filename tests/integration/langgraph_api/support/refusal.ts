/**
 * What a request the server refused carries, as the SDK throws it (its
 * status and message); fails the test when the request succeeded.
 *
 * @example
 * expect(await refusal(client.threads.get('nope'))).toMatchObject({ status: 404 })
 */
export async function refusal(promise: Promise<unknown>): Promise<{ status: number; text: string }> {
  try {
    await promise
  } catch (error) {
    const { status, message } = error as { status?: number; message: string }
    return { status: status ?? 0, text: message }
  }
  throw new Error('expected the request to be refused')
}
