import type { HttpClient } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { MissionControlApi } from "./Api.js"

/**
 * A typed client of the API: one method per route (`client.agents.create({ payload })`), answering the wire shapes
 * and failing with the error bodies as typed values. Needs an `HttpClient` (e.g. `FetchHttpClient.layer`).
 * `baseUrl` is the server's origin (the routes carry `/api/v1`); `transformClient` adds what every call sends, such
 * as the caller's credentials.
 */
export const makeClient = (
  baseUrl: string,
  options: { readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined } = {}
) => HttpApiClient.make(MissionControlApi, { baseUrl, transformClient: options.transformClient })

/** The typed client's type. */
export type MissionControlClient = HttpApiClient.ForApi<typeof MissionControlApi>
