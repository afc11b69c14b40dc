export { healthPayload, runEvents } from "./gatewayEvents.js"
export type { SimulatedHealthAgent, SimulatedRun, SimulatedSession } from "./gatewayEvents.js"
export { simulator, startGatewaySimulator } from "./GatewaySimulator.js"
export type {
  GatewayProfile,
  GatewaySimulator,
  SimulatedAgent,
  SimulatedFault,
  SimulatorBehaviour,
  SimulatorCall,
  SimulatorConnect
} from "./GatewaySimulator.js"
export { selfSignedCertificate } from "./selfSignedCertificate.js"
export type { SelfSignedCertificate } from "./selfSignedCertificate.js"
