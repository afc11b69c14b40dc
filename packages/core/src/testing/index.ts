export * as Fixtures from "./Fixtures.js"
export { classicBehaviour, MemoryGateway, modernBehaviour, modernWritableFiles } from "./MemoryGateway.js"
export type {
  GatewayCall,
  InjectedGatewayFailure,
  MemoryChatMessage,
  MemoryGatewayAgent,
  MemoryGatewayBehaviour
} from "./MemoryGateway.js"
export * as MemoryRepositories from "./MemoryRepositories.js"
export { MemoryStore } from "./MemoryStore.js"
export * as TestKit from "./TestKit.js"
