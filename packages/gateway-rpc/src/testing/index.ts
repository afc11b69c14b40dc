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
