// The page talks to the documented API only, through the SDK's typed client: the same definition the server routes
// with, so a changed route or body breaks this page's build, not a user's session.
import type { AgentRead, GatewayRead } from "@mission-control/core"
import { makeClient, UnauthorizedResponse, ValidationFailedResponse } from "@mission-control/core/http"
import { Effect } from "effect"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"

/** A typed client of this server's API that sends the signed-in user's bearer token with every call. */
export const connect = (token: string) =>
  makeClient(location.origin, {
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
  }).pipe(Effect.provide(FetchHttpClient.layer))

export type Client = Effect.Success<ReturnType<typeof connect>>

const pageSize = 200

/** Every page of a listing (`limit`/`offset`), in order. Ends on the first short or empty page. */
const listAll = <A, E>(
  page: (offset: number) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly total: number }, E>
): Effect.Effect<ReadonlyArray<A>, E> =>
  Effect.gen(function*() {
    const all: Array<A> = []
    for (;;) {
      const { items, total } = yield* page(all.length)
      all.push(...items)
      if (items.length < pageSize || all.length >= total) return all
    }
  })

/** The organization's agents, board agents and gateway agents alike. */
export const listAgents = (client: Client): Effect.Effect<ReadonlyArray<AgentRead>, ApiFailure> =>
  listAll((offset) => client.agents.list({ query: { limit: pageSize, offset } }))

/** The organization's gateways. Answers 401 for a token the server does not know, 403 for a user not an admin. */
export const listGateways = (client: Client): Effect.Effect<ReadonlyArray<GatewayRead>, ApiFailure> =>
  listAll((offset) => client.gateways.list({ query: { limit: pageSize, offset } }))

/** What a call of the typed client fails with: an error body of the API, a transport or a decoding failure. */
export type ApiFailure = Effect.Error<ReturnType<Client["gateways"]["list"]>>

/** A failure in words for the page: the API's `detail` when it answered one. */
export const describeFailure = (failure: unknown): string => {
  if (failure instanceof ValidationFailedResponse) return "The server refused the request as invalid."
  if (typeof failure === "object" && failure !== null && "detail" in failure && typeof failure.detail === "string") {
    return failure.detail
  }
  if (HttpClientError.isHttpClientError(failure)) return "The server could not be reached."
  return "The server's answer could not be read."
}

/** Whether the server no longer knows the token (e.g. the example restarted and seeded new users). */
export const isSignedOut = (failure: unknown): boolean => failure instanceof UnauthorizedResponse
