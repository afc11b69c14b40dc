import { OpenApi } from "effect/http-api"
import { MissionControlApi } from "./Api.js"

/** The OpenAPI 3.1 document of the API, derived from its definition. */
export const openApiDocument = () => OpenApi.fromApi(MissionControlApi)
