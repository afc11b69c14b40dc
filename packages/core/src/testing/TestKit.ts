import { Layer } from "effect"
import * as AgentLocks from "../services/AgentLocks.js"
import * as AgentTokens from "../services/AgentTokens.js"
import * as TemplateRenderer from "../services/TemplateRenderer.js"
import type { MemoryGatewayBehaviour } from "./MemoryGateway.js"
import * as MemoryGateway from "./MemoryGateway.js"
import * as MemoryRepositories from "./MemoryRepositories.js"

/** The in-memory gateway alone, to combine with other repositories (the Postgres adapter's, say). */
export const layerGateway = (behaviour: Partial<MemoryGatewayBehaviour> = {}) => MemoryGateway.layer(behaviour)

/** The services that need no store: token minting and the default templates. Add repositories and a gateway. */
export const layerServices = Layer.merge(AgentTokens.layer, TemplateRenderer.layer)

/** Everything the core programs need except the gateway: in-memory repositories, tokens, templates, locks. */
export const layerWithoutGateway = Layer.mergeAll(
  MemoryRepositories.layer,
  AgentTokens.layer,
  TemplateRenderer.layer,
  AgentLocks.layerMemory
)

/** A complete in-memory core: every service, and an in-memory gateway to inspect (`MemoryGateway.MemoryGateway`). */
export const layer = (gateway: Partial<MemoryGatewayBehaviour> = {}) =>
  Layer.merge(layerWithoutGateway, MemoryGateway.layer(gateway))
